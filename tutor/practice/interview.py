"""Mock interview: N questions across chosen topics, level adapting to the answers
(strong -> up Basic -> Medium -> Killer, weak -> down), one drill-down on a gap per question,
ending in a report: score per topic, strengths, gaps with the notes to re-read, scheduled reviews.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tutor.core.errors import InputError, NotFoundError
from tutor.core.types import BankItem, Citation, KeyPoint, Level
from tutor.grading.schema import Grade
from tutor.practice.quiz import gradable, submit_answer
from tutor.practice.scheduler import Scheduler

if TYPE_CHECKING:  # pragma: no cover
    from tutor.grading.grader import Grader
    from tutor.practice.attempts import AttemptStore

LEVELS: tuple[Level, ...] = ("basic", "medium", "killer")
UP, DOWN = 7.0, 4.0


def next_level(level: Level, score: float) -> Level:
    """'basic', 8.0 -> 'medium'; 'medium', 2.0 -> 'basic'; stays within basic..killer."""
    i = LEVELS.index(level)
    if score >= UP:
        i = min(i + 1, len(LEVELS) - 1)
    elif score < DOWN:
        i = max(i - 1, 0)
    return LEVELS[i]


def gap_only(item: BankItem, gap: str) -> BankItem:
    """The item graded on one key point (a drill-down): that point of its rubric, probe kept."""
    from tutor.grading.sources import rubric_of

    full = rubric_of(item)
    kept = [p for p in full.key_points if p.text == gap] or [KeyPoint(text=gap)]
    return item.model_copy(update={"rubric": full.model_copy(update={"key_points": kept, "red_flags": []})})


def wants_drill_down(grade: Grade) -> bool:
    """Drill into a gap when the answer was on the way (some points) but not complete."""
    return bool(grade.gaps) and DOWN <= grade.score < 9.0 and bool(grade.follow_up)


class InterviewQuestion(BaseModel):
    item: BankItem
    level: Level | None
    text: str
    drill_down: bool = False
    gap: str = Field("", description="For a drill-down: the key point it targets.")


class InterviewTurn(BaseModel):
    question: InterviewQuestion
    grade: Grade
    next: InterviewQuestion | None = None


class TopicScore(BaseModel):
    topic: str
    mean: float
    answers: int


class Gap(BaseModel):
    topic: str
    question: str
    point: str
    citations: list[Citation] = Field(default_factory=list)


class Review(BaseModel):
    question_id: str
    question: str
    due: datetime


class InterviewReport(BaseModel):
    overall: float
    per_topic: list[TopicScore]
    strengths: list[str]
    gaps: list[Gap]
    reviews: list[Review]
    turns: int


class MockInterview:
    def __init__(self, grader: Grader, bank: Any, attempts: AttemptStore, *, topics: list[str] | None = None,
                 n: int = 5, user: str = "local", level: Level = "basic", drill_downs: bool = True,
                 seed: int | None = None) -> None:
        if n < 1:
            raise InputError("A mock interview needs at least one question (--n 1 or more).")
        self.grader, self.bank, self.attempts, self.user = grader, bank, attempts, user
        self.scheduler = Scheduler(attempts)
        self.topics = topics or bank.topics()
        unknown = [t for t in self.topics if not bank.filter(topic=t)]
        if unknown:
            raise NotFoundError(f"Unknown topic(s): {', '.join(unknown)}.", hint="See `tutor bank stats`.")
        self.n, self.level, self.drill_downs = n, level, drill_downs
        self.turns: list[InterviewTurn] = []
        self.asked: list[str] = []
        self._rng = random.Random(seed)
        self.current: InterviewQuestion | None = self._main_question(0)

    @property
    def done(self) -> bool:
        return self.current is None

    def answer(self, text: str) -> InterviewTurn:
        q = self.current
        if q is None:
            raise InputError("The interview is over: ask for the report.")
        rubric = gap_only(q.item, q.gap) if q.drill_down else None
        grade = submit_answer(self.attempts, self.scheduler, self.grader, q.item, text, user=self.user,
                              question=q.text, rubric=rubric)
        if not q.drill_down:
            self.level = next_level(q.level or self.level, grade.score)
        self.current = self._after(q, grade)
        turn = InterviewTurn(question=q, grade=grade, next=self.current)
        self.turns.append(turn)
        return turn

    def _after(self, q: InterviewQuestion, grade: Grade) -> InterviewQuestion | None:
        if not q.drill_down and self.drill_downs and wants_drill_down(grade):
            return InterviewQuestion(item=q.item, level=q.level, text=grade.follow_up, drill_down=True,
                                     gap=grade.gaps[0].point)
        main_done = sum(not t.question.drill_down for t in self.turns) + (0 if q.drill_down else 1)
        return self._main_question(main_done) if main_done < self.n else None

    def _main_question(self, index: int) -> InterviewQuestion | None:
        topic = self.topics[index % len(self.topics)]
        pool = [i for i in self.bank.filter(topic=topic) if gradable(i) and i.id not in self.asked]
        if not pool:
            pool = [i for t in self.topics for i in self.bank.filter(topic=t)
                    if gradable(i) and i.id not in self.asked]
        if not pool:
            return None
        nearest = min(_distance(i, self.level) for i in pool)
        item = self._rng.choice([i for i in pool if _distance(i, self.level) == nearest])
        self.asked.append(item.id)
        return InterviewQuestion(item=item, level=item.level or self.level, text=item.question)

    def report(self) -> InterviewReport:
        return build_report(self.turns, self.scheduler.next_due(self.user))


def _distance(item: BankItem, level: Level) -> int:
    """How far an item's level is from the wanted one; items without a level count as 1 away."""
    return abs(LEVELS.index(item.level) - LEVELS.index(level)) if item.level else 1


def build_report(turns: list[InterviewTurn], schedule: list[tuple[str, str, datetime]]) -> InterviewReport:
    """Pure: per-topic means, strengths (points covered in strong answers), gaps with citations."""
    by_topic: dict[str, list[float]] = {}
    strengths: list[str] = []
    gaps: list[Gap] = []
    for t in turns:
        topic = t.question.item.topic
        by_topic.setdefault(topic, []).append(t.grade.score)
        if t.grade.score >= UP:
            strengths += [p.point for p in t.grade.points if p.verdict == "covered" and p.point not in strengths]
        gaps += [Gap(topic=topic, question=t.question.text, point=p.point, citations=t.grade.citations)
                 for p in t.grade.gaps if p.verdict in ("missed", "contradicted")]
    asked = {t.question.item.id: t.question.item.question for t in turns}
    reviews = [Review(question_id=qid, question=asked[qid], due=due) for qid, _, due in schedule if qid in asked]
    scores = [t.grade.score for t in turns]
    return InterviewReport(
        overall=round(sum(scores) / len(scores), 2) if scores else 0.0,
        per_topic=[TopicScore(topic=k, mean=round(sum(v) / len(v), 2), answers=len(v)) for k, v in by_topic.items()],
        strengths=strengths, gaps=gaps, reviews=reviews, turns=len(turns))
