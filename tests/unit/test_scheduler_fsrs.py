"""FSRS scheduling on a real SQLite store: ratings from scores, due dates, persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Rating

from tutor.practice.attempts import AttemptStore
from tutor.practice.scheduler import Scheduler, rating_for


def test_score_to_rating() -> None:
    assert [rating_for(s) for s in (0, 3.9, 4, 5.9, 6, 8.4, 8.5, 10)] == [
        Rating.Again, Rating.Again, Rating.Hard, Rating.Hard, Rating.Good, Rating.Good, Rating.Easy, Rating.Easy]


def test_weak_answers_come_back_sooner_and_schedules_persist(tmp_path: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = AttemptStore(tmp_path / "t.sqlite3")
    sched = Scheduler(store)
    weak = sched.review("u", "q-weak", 1.0, topic="RAG", now=now)
    strong = sched.review("u", "q-strong", 9.5, topic="LoRA", now=now)
    assert weak < strong and weak - now < timedelta(hours=1) and strong - now >= timedelta(days=1)
    assert sched.due("u", now + timedelta(hours=2)) == ["q-weak"]
    assert sched.due("other-user", now + timedelta(days=400)) == []
    store.close()
    reopened = Scheduler(AttemptStore(tmp_path / "t.sqlite3"))
    assert [q for q, _, _ in reopened.next_due("u")] == ["q-weak", "q-strong"]
    later = reopened.review("u", "q-strong", 9.5, now=strong)  # a second good review: longer interval
    assert later - strong > strong - now


def test_same_reviews_same_schedule(tmp_path: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    dues = []
    for name in ("a", "b"):
        sched = Scheduler(AttemptStore(tmp_path / f"{name}.sqlite3"))
        dues.append([sched.review("u", "q", s, now=now + timedelta(days=i)) for i, s in enumerate([7, 3, 9])])
    assert dues[0] == dues[1]
