"""Quiz selection (filters, no repeats, due reviews and weak topics first) and submission
(attempt recorded, graded, scheduled) with a scripted LLM and a real SQLite store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes import FakeEmbedder, reading_llm
from tutor.core.bank import QuestionBank
from tutor.core.errors import NotFoundError
from tutor.core.types import BankItem, KeyPoint, Probe, Rubric
from tutor.grading.grader import Grader
from tutor.practice.attempts import AttemptStore
from tutor.practice.quiz import Quiz, order_candidates, resume_pending


def item(i: int, topic: str, level: str = "basic") -> BankItem:
    return BankItem(id=f"q{i}", topic=topic, level=level, question=f"Вопрос {i} про {topic}?",  # type: ignore[arg-type]
                    reference_answer=f"{topic} хранит ключи и значения токенов номер {i}.",
                    rubric=Rubric(key_points=[KeyPoint(text=f"{topic} хранит ключи и значения", probe=Probe(
                        question="What is stored?", right="ключи и значения", wrong="градиенты"))]))


BANK = QuestionBank(items=[item(1, "RAG"), item(2, "RAG", "medium"), item(3, "LoRA"), item(4, "LoRA"),
                           BankItem(id="noref", topic="RAG", question="Без ответа?")])


def grader() -> Grader:
    return Grader(reading_llm("Что ещё хранится?"), embedder=FakeEmbedder(dim=1024), bank=BANK)


def test_filters_and_no_repeats(tmp_path: Path) -> None:
    quiz = Quiz(BANK, AttemptStore(tmp_path / "t.sqlite3"), seed=1)
    got = [quiz.next(topic="RAG").id for _ in range(2)]
    assert sorted(got) == ["q1", "q2"]  # 'noref' has nothing to grade against
    with pytest.raises(NotFoundError):
        quiz.next(topic="RAG")
    assert quiz.next(topic="LoRA", level="basic").topic == "LoRA"


def test_order_due_first_then_weakest_topic() -> None:
    pool = [item(1, "RAG"), item(2, "RAG"), item(3, "LoRA"), item(4, "LoRA")]
    latest = {"q1": ("RAG", 9.0), "q3": ("LoRA", 2.0)}
    out = order_candidates(pool, ["q2"], latest, weakest=True, rng=random.Random(0))
    assert out[0].id == "q2"                       # due review
    assert [i.topic for i in out[1:3]] == ["LoRA", "LoRA"] and out[1].id == "q4"  # weakest topic, unseen first


def test_submit_records_grades_and_schedules(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    quiz = Quiz(BANK, store, user="anna")
    it = BANK.get("q1")
    g = quiz.submit(it, "RAG хранит ключи и значения токенов.", grader())
    assert g.score == 10.0
    [a] = store.attempts("anna")
    assert a.status == "graded" and a.score == 10.0
    assert [c["question_id"] for c in store.cards("anna")] == ["q1"]
    # a perfect answer is not due tomorrow; a fresh quiz does not offer it first
    assert quiz.scheduler.due("anna", datetime.now(UTC) + timedelta(days=1)) == []


def test_resume_pending_completes_unfinished_attempts(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    store.start("local", "q3", BANK.get("q3").question, "LoRA хранит ключи и значения.", topic="LoRA")
    quiz = Quiz(BANK, store)
    [g] = resume_pending(store, quiz.scheduler, grader(), BANK)
    assert g.score == 10.0 and store.pending() == [] and store.attempts()[0].status == "graded"


def test_a_grade_that_cannot_be_computed_is_not_stored_as_a_zero(tmp_path: Path) -> None:
    from tests.fakes import FakeLLM
    from tutor.core.errors import GradingError

    store = AttemptStore(tmp_path / "t.sqlite3")
    quiz = Quiz(BANK, store, user="anna")
    broken = Grader(FakeLLM("no letter at all"), embedder=FakeEmbedder(dim=1024), bank=BANK)
    with pytest.raises(GradingError):
        quiz.submit(BANK.get("q1"), "RAG хранит ключи и значения токенов.", broken)
    [a] = store.attempts("anna")
    assert a.status == "failed" and a.score is None and store.cards("anna") == []
