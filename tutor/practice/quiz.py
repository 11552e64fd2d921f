"""Quiz: pick the next bank question (by topic / level / document, or by weakness and due reviews)
and grade a submitted answer, recording it before grading and scheduling the next review.

A question is never repeated within a session unless ``allow_repeats`` is set.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tutor.core.errors import NotFoundError
from tutor.core.types import BankItem
from tutor.practice.scheduler import Scheduler

if TYPE_CHECKING:  # pragma: no cover
    from tutor.grading.grader import Grader
    from tutor.grading.schema import Grade
    from tutor.practice.attempts import AttemptStore


def gradable(item: BankItem) -> bool:
    """An item whose rubric has a key point (an answer to it can get a score)."""
    from tutor.grading.sources import rubric_of

    return bool(rubric_of(item).key_points)


def order_candidates(pool: list[BankItem], due: list[str], latest: dict[str, tuple[str, float]],
                     *, weakest: bool, rng: random.Random) -> list[BankItem]:
    """Due reviews first (most overdue first); then, with ``weakest``, questions of the topics
    with the lowest mean score (unseen questions of a topic count as 0); then the rest shuffled."""
    due_rank = {qid: i for i, qid in enumerate(due)}
    first = sorted((i for i in pool if i.id in due_rank), key=lambda i: due_rank[i.id])
    rest = [i for i in pool if i.id not in due_rank]
    rng.shuffle(rest)
    if weakest:
        topic_scores: dict[str, list[float]] = {}
        for topic, score in latest.values():
            topic_scores.setdefault(topic, []).append(score)
        mean = {t: sum(v) / len(v) for t, v in topic_scores.items()}
        rest.sort(key=lambda i: (mean.get(i.topic, 0.0), i.id in latest))
    return first + rest


class Quiz:
    def __init__(self, bank: Any, attempts: AttemptStore, *, user: str = "local",
                 scheduler: Scheduler | None = None, allow_repeats: bool = False, seed: int | None = None) -> None:
        self.bank = bank
        self.attempts = attempts
        self.user = user
        self.scheduler = scheduler or Scheduler(attempts)
        self.allow_repeats = allow_repeats
        self.asked: list[str] = []
        self._rng = random.Random(seed)

    def next(self, *, topic: str | None = None, level: str | None = None, doc: str | None = None,
             weakest: bool = False, now: datetime | None = None) -> BankItem:
        pool = [i for i in self.bank.filter(topic=topic, level=level, doc=doc) if gradable(i)]
        if not self.allow_repeats:
            pool = [i for i in pool if i.id not in self.asked]
        if not pool:
            what = ", ".join(f"{k}={v}" for k, v in (("topic", topic), ("level", level), ("doc", doc)) if v)
            raise NotFoundError(f"No more questions{' for ' + what if what else ''} in this session.",
                                hint="Pick another topic or level (see `tutor bank stats`).")
        due = self.scheduler.due(self.user, now)
        weak = weakest or not (topic or level or doc)
        item = order_candidates(pool, due, self.attempts.latest_scores(self.user), weakest=weak, rng=self._rng)[0]
        self.asked.append(item.id)
        return item

    def submit(self, item: BankItem, answer: str, grader: Grader) -> Grade:
        """Record the answer, grade it, complete the attempt and schedule the next review."""
        return submit_answer(self.attempts, self.scheduler, grader, item, answer, user=self.user)


def submit_answer(attempts: AttemptStore, scheduler: Scheduler, grader: Grader, item: BankItem, answer: str,
                  *, user: str = "local", question: str | None = None, rubric: BankItem | None = None) -> Grade:
    """Shared by quiz and interview: the attempt exists before the LLM is called, so a crash
    mid-grade leaves a 'pending' attempt with the answer instead of losing it."""
    text = question or item.question
    aid = attempts.start(user, item.id, text, answer, topic=item.topic, level=item.level)
    try:
        grade = grader.grade(text, answer, item=rubric or item)
    except Exception:
        attempts.fail(aid)
        raise
    _complete(attempts, scheduler, aid, item, grade, user)
    return grade


def _complete(attempts: AttemptStore, scheduler: Scheduler, aid: int, item: BankItem, grade: Grade,
              user: str) -> None:
    """Store the grade of attempt ``aid`` and schedule the question's next review."""
    attempts.complete(aid, grade)
    scheduler.review(user, item.id, grade.score, topic=item.topic)


def record_grade(attempts: AttemptStore, scheduler: Scheduler, item: BankItem, answer: str, grade: Grade,
                 *, user: str = "local") -> int:
    """Keep a grade made elsewhere (``tutor grade --user``) as a completed attempt and schedule
    the question's next review, exactly as a quiz answer would be. Returns the attempt id."""
    aid = attempts.start(user, item.id, grade.question or item.question, answer, topic=item.topic, level=item.level)
    _complete(attempts, scheduler, aid, item, grade, user)
    return aid


def resume_pending(attempts: AttemptStore, scheduler: Scheduler, grader: Grader, bank: Any,
                   *, user: str = "local") -> list[Grade]:
    """Grade the answers a previous process recorded but never finished grading."""
    done = []
    for a in attempts.pending(user):
        try:
            item = bank.get(a.question_id)
        except NotFoundError:
            attempts.fail(a.id)
            continue
        grade = grader.grade(a.question, a.answer, item=item)
        _complete(attempts, scheduler, a.id, item, grade, user)
        done.append(grade)
    return done
