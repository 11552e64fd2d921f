"""AttemptStore on real SQLite: record before grading, complete, threads, CSV, progress, and a
real process killed mid-grade that loses nothing."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.paths import REPO
from tutor.core.errors import NotFoundError
from tutor.grading.schema import Grade
from tutor.practice.attempts import AttemptStore, topic_mastery


def grade(score: float, question: str = "Q?") -> Grade:
    return Grade(question=question, answer="a", score=score)


def test_start_then_complete_persists_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite3"
    store = AttemptStore(db)
    aid = store.start("u1", "q1", "Что такое RAG?", "ответ", topic="RAG", level="basic")
    assert [a.status for a in store.attempts("u1")] == ["pending"]
    store.complete(aid, grade(7.5))
    store.close()
    again = AttemptStore(db)
    [a] = again.attempts("u1")
    assert (a.status, a.score, a.answer, a.topic) == ("graded", 7.5, "ответ", "RAG")
    assert again.grade_of(aid).score == 7.5
    assert again.attempts("someone-else") == []
    with pytest.raises(NotFoundError):
        again.complete(999, grade(1))
    again.close()


def test_wal_mode(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_many_threads_write_safely(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")

    def work(user: str) -> None:
        for i in range(20):
            aid = store.start(user, f"q{i}", "Q", "A", topic="T")
            store.complete(aid, grade(i % 10))

    threads = [threading.Thread(target=work, args=(f"user{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(store.attempts(f"user{n}", status="graded")) == 20 for n in range(6))
    store.close()


def test_progress_and_csv(tmp_path: Path) -> None:
    store = AttemptStore(tmp_path / "t.sqlite3")
    for qid, topic, score in [("a", "RAG", 4.0), ("a", "RAG", 8.0), ("b", "RAG", 6.0), ("c", "LoRA", 2.0)]:
        store.complete(store.start("local", qid, "Q", "A", topic=topic), grade(score))
    store.start("local", "d", "Q", "unfinished", topic="LoRA")
    prog = store.progress("local")
    assert (prog.attempts, prog.graded, prog.pending) == (5, 4, 1)
    rag = next(t for t in prog.topics if t.topic == "RAG")
    assert rag.mean_score == 7.0 and rag.attempts == 3  # latest score per question: a=8, b=6
    n = store.export_csv("local", tmp_path / "out.csv")
    rows = list(csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()))
    assert n == 5 and rows[-1]["answer"] == "unfinished" and rows[-1]["status"] == "pending"
    store.close()


def test_topic_mastery_shrinks_few_answers() -> None:
    [one] = topic_mastery({"q1": ("RAG", 10.0)}, {"RAG": 1})
    [two] = topic_mastery({"q1": ("RAG", 10.0), "q2": ("RAG", 10.0)}, {"RAG": 2})
    assert one["mastery"] == 0.5 and two["mastery"] == pytest.approx(0.667, abs=1e-3)


def test_process_killed_mid_grade_keeps_the_answer(tmp_path: Path) -> None:
    """A real subprocess records the answer, starts 'grading' (blocks), and is SIGKILLed."""
    db = tmp_path / "t.sqlite3"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from tutor.practice.attempts import AttemptStore
        from tutor.practice.quiz import submit_answer
        from tutor.practice.scheduler import Scheduler
        from tutor.core.types import BankItem

        class HangingGrader:
            def grade(self, question, answer, item=None):
                print("grading", flush=True)
                time.sleep(600)

        store = AttemptStore({str(db)!r})
        item = BankItem(id="q1", topic="RAG", question="Что такое RAG?", reference_answer="r")
        submit_answer(store, Scheduler(store), HangingGrader(), item, "мой ответ про RAG", user="u1")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "grading"
    proc.kill()
    proc.wait(timeout=30)
    assert proc.returncode != 0
    store = AttemptStore(db)
    [a] = store.attempts("u1")
    assert (a.status, a.answer, a.question_id) == ("pending", "мой ответ про RAG", "q1")
    assert store.pending("u1")[0].id == a.id
    store.close()
