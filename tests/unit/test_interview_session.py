"""Mock interview: level adapts, drill-down on a gap, report with topics/gaps/reviews
(scripted LLM, real SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeEmbedder, reading_llm
from tutor.core.bank import QuestionBank
from tutor.core.errors import InputError, NotFoundError
from tutor.core.types import BankItem, KeyPoint, Probe, Rubric
from tutor.grading.grader import Grader
from tutor.practice.attempts import AttemptStore
from tutor.practice.interview import MockInterview, next_level

LEVELS = ("basic", "medium", "killer")
def rubric(t: str) -> Rubric:
    return Rubric(key_points=[
        KeyPoint(text=f"{t} хранит ключи", probe=Probe(question="What is stored?", right="хранит ключи",
                                                       wrong="хранит градиенты")),
        KeyPoint(text=f"{t} ускоряет генерацию", probe=Probe(question="What happens to generation?",
                                                             right="ускоряет генерацию", wrong="замедляет генерацию"))])


BANK = QuestionBank(items=[
    BankItem(id=f"{t}-{lv}", topic=t, level=lv, question=f"{t} {lv}: как это работает?",  # type: ignore[arg-type]
             reference_answer=f"{t} хранит ключи. {t} ускоряет генерацию.", rubric=rubric(t), docs=["notes.txt"])
    for t in ("RAG", "LoRA") for lv in LEVELS])


def grader() -> Grader:
    return Grader(reading_llm("А что с ускорением генерации?"), embedder=FakeEmbedder(dim=1024), bank=BANK)


def test_next_level() -> None:
    assert [next_level("basic", 8), next_level("medium", 2), next_level("killer", 9), next_level("basic", 1),
            next_level("medium", 5)] == ["medium", "basic", "killer", "basic", "medium"]


def test_interview_adapts_drills_down_and_reports(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    session = MockInterview(grader(), BANK, store, topics=["RAG", "LoRA"], n=3, seed=0)
    q1 = session.current
    assert q1 is not None and q1.level == "basic" and q1.item.topic == "RAG"
    t1 = session.answer("RAG хранит ключи. RAG ускоряет генерацию.")          # 10/10 -> up
    assert t1.grade.score == 10 and t1.next is not None and not t1.next.drill_down
    assert t1.next.level == "medium" and t1.next.item.topic == "LoRA"
    t2 = session.answer("LoRA хранит ключи.")                                    # 5/10 -> drill-down
    assert t2.next is not None and t2.next.drill_down and t2.next.text == "А что с ускорением генерации?"
    assert t2.next.gap == "LoRA ускоряет генерацию"
    t3 = session.answer("LoRA ускоряет генерацию немного.")                    # drill-down graded on the gap only
    assert [p.point for p in t3.grade.points] == ["LoRA ускоряет генерацию"] and t3.grade.score == 10.0
    assert t3.next is not None and t3.next.item.topic == "RAG" and t3.next.level == "medium"
    session.answer("RAG хранит ключи. RAG ускоряет генерацию.")
    assert session.done
    with pytest.raises(InputError):
        session.answer("ещё")
    report = session.report()
    assert report.turns == 4 and {t.topic for t in report.per_topic} == {"RAG", "LoRA"}
    assert "RAG хранит ключи" in report.strengths
    assert [g.point for g in report.gaps] == ["LoRA ускоряет генерацию"]
    assert {r.question_id for r in report.reviews} == {q1.item.id, t1.next.item.id, t3.next.item.id}
    assert len(store.attempts()) == 4


def test_unknown_topic_and_bad_n(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    with pytest.raises(NotFoundError):
        MockInterview(grader(), BANK, store, topics=["Nope"])
    with pytest.raises(InputError):
        MockInterview(grader(), BANK, store, n=0)
