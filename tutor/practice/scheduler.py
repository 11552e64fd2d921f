"""Spaced repetition (FSRS v6) on top of the attempts store: a grade becomes an FSRS rating, the
card's next due date is stored per user and question, and ``due()`` lists what to review now.

Fuzzing is off so schedules are reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fsrs import Card, Rating
from fsrs import Scheduler as FSRS

if TYPE_CHECKING:  # pragma: no cover
    from tutor.practice.attempts import AttemptStore

THRESHOLDS = ((4.0, Rating.Again), (6.0, Rating.Hard), (8.5, Rating.Good))


def rating_for(score: float) -> Rating:
    """0..10 score -> FSRS rating: < 4 Again, < 6 Hard, < 8.5 Good, else Easy."""
    for limit, rating in THRESHOLDS:
        if score < limit:
            return rating
    return Rating.Easy


class Scheduler:
    def __init__(self, store: AttemptStore) -> None:
        self.store = store
        self.fsrs = FSRS(enable_fuzzing=False)

    def review(self, user: str, question_id: str, score: float, *, topic: str = "",
               now: datetime | None = None) -> datetime:
        """Record a graded review; returns when the question is due again (UTC)."""
        now = now or datetime.now(UTC)
        raw = self.store.get_card(user, question_id)
        card = Card.from_dict(raw) if raw else Card()  # type: ignore[arg-type]
        card, _ = self.fsrs.review_card(card, rating_for(score), review_datetime=now)
        self.store.put_card(user, question_id, card.to_dict(), card.due.isoformat(), topic=topic)  # type: ignore[arg-type]
        return card.due

    def due(self, user: str, now: datetime | None = None) -> list[str]:
        """Question ids due for review at ``now``, most overdue first."""
        stamp = (now or datetime.now(UTC)).isoformat()
        return [c["question_id"] for c in self.store.cards(user) if c["due"] <= stamp]

    def next_due(self, user: str) -> list[tuple[str, str, datetime]]:
        """All scheduled reviews: (question_id, topic, due) sorted by due date."""
        return [(c["question_id"], c["topic"], datetime.fromisoformat(c["due"])) for c in self.store.cards(user)]
