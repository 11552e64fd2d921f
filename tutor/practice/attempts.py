"""Attempts, review cards and per-topic mastery in SQLite (WAL).

An attempt is recorded *before* grading (status 'pending') and completed afterwards, so a process
that dies mid-grade loses nothing: the answer stays in the store and can be graded again.
One connection per thread (the UI serves several users); every row is keyed by a user id.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tutor.core.errors import NotFoundError, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from tutor.grading.schema import Grade

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL, question_id TEXT NOT NULL, question TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '', level TEXT, answer TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', score REAL, grade TEXT,
    created REAL NOT NULL, graded REAL
);
CREATE INDEX IF NOT EXISTS attempts_user ON attempts(user, created);
CREATE TABLE IF NOT EXISTS cards (
    user TEXT NOT NULL, question_id TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '',
    card TEXT NOT NULL, due TEXT NOT NULL, PRIMARY KEY (user, question_id)
);
"""
CSV_FIELDS = ["id", "user", "question_id", "topic", "level", "question", "answer", "status", "score",
              "created", "graded"]


class Attempt(BaseModel):
    id: int
    user: str
    question_id: str
    question: str
    topic: str = ""
    level: str | None = None
    answer: str
    status: str
    score: float | None = None
    created: float
    graded: float | None = None


class TopicMastery(BaseModel):
    topic: str
    attempts: int
    mean_score: float = Field(description="Mean of the latest score per question, 0..10.")
    mastery: float = Field(description="0..1: mean latest score / 10, shrunk towards 0 for few questions.")


class Progress(BaseModel):
    user: str
    attempts: int
    graded: int
    pending: int
    mean_score: float | None
    topics: list[TopicMastery]
    due: list[dict[str, str]] = Field(default_factory=list, description="[{question_id, topic, due}]")


def topic_mastery(latest: dict[str, tuple[str, float]], counts: dict[str, int]) -> list[dict[str, Any]]:
    """Per topic: mean latest score per question and a mastery in 0..1 shrunk for few questions
    (two questions at 10 -> 0.67, so one lucky answer does not mark a topic as mastered).
    {'q1': ('RAG', 8.0)}, {'RAG': 2} -> [{'topic': 'RAG', 'attempts': 2, 'mean_score': 8.0, 'mastery': 0.4}]"""
    by_topic: dict[str, list[float]] = {}
    for topic, score in latest.values():
        by_topic.setdefault(topic, []).append(score)
    out = []
    for topic, scores in sorted(by_topic.items()):
        mean = sum(scores) / len(scores)
        out.append({"topic": topic, "attempts": counts.get(topic, len(scores)), "mean_score": round(mean, 2),
                    "mastery": round(mean / 10 * len(scores) / (len(scores) + 1), 3)})
    return out


class AttemptStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    # --- connections ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as err:
                raise StoreError(f"Cannot open the attempts database at {self.path}: {err}.") from err
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    # --- attempts ------------------------------------------------------------------------------
    def start(self, user: str, question_id: str, question: str, answer: str, *, topic: str = "",
              level: str | None = None) -> int:
        """Record a submitted answer before grading; returns the attempt id."""
        with self._conn() as conn:
            cur = conn.execute(
                "INSERT INTO attempts(user, question_id, question, topic, level, answer, created)"
                " VALUES (?,?,?,?,?,?,?)", (user, question_id, question, topic, level, answer, time.time()))
        return int(cur.lastrowid or 0)

    def complete(self, attempt_id: int, grade: Grade) -> None:
        with self._conn() as conn:
            cur = conn.execute(
                "UPDATE attempts SET status='graded', score=?, grade=?, graded=? WHERE id=?",
                (grade.score, grade.model_dump_json(), time.time(), attempt_id))
        if cur.rowcount == 0:
            raise NotFoundError(f"No attempt with id {attempt_id}.")

    def fail(self, attempt_id: int) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE attempts SET status='failed' WHERE id=? AND status='pending'", (attempt_id,))

    def attempts(self, user: str = "local", *, status: str | None = None) -> list[Attempt]:
        sql = "SELECT * FROM attempts WHERE user=?" + (" AND status=?" if status else "") + " ORDER BY id"
        args: tuple[Any, ...] = (user, status) if status else (user,)
        rows = self._conn().execute(sql, args).fetchall()
        return [Attempt(**{k: r[k] for k in Attempt.model_fields}) for r in rows]

    def pending(self, user: str = "local") -> list[Attempt]:
        """Answers recorded but never graded (e.g. the process died mid-grade): grade them again."""
        return self.attempts(user, status="pending")

    def grade_of(self, attempt_id: int) -> Grade:
        from tutor.grading.schema import Grade

        row = self._conn().execute("SELECT grade FROM attempts WHERE id=?", (attempt_id,)).fetchone()
        if row is None or row["grade"] is None:
            raise NotFoundError(f"Attempt {attempt_id} has no grade yet.")
        return Grade.model_validate_json(row["grade"])

    # --- review cards (written by tutor.practice.scheduler) ----------------------------------------------
    def get_card(self, user: str, question_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT card FROM cards WHERE user=? AND question_id=?",
                                   (user, question_id)).fetchone()
        return json.loads(row["card"]) if row else None

    def put_card(self, user: str, question_id: str, card: dict[str, Any], due: str, topic: str = "") -> None:
        with self._conn() as conn:
            conn.execute("INSERT INTO cards(user, question_id, topic, card, due) VALUES (?,?,?,?,?)"
                         " ON CONFLICT(user, question_id) DO UPDATE SET card=excluded.card,"
                         " due=excluded.due, topic=excluded.topic",
                         (user, question_id, topic, json.dumps(card), due))

    def cards(self, user: str = "local") -> list[dict[str, str]]:
        rows = self._conn().execute("SELECT question_id, topic, due FROM cards WHERE user=? ORDER BY due",
                                    (user,)).fetchall()
        return [dict(r) for r in rows]

    # --- progress ------------------------------------------------------------------------------
    def latest_scores(self, user: str = "local") -> dict[str, tuple[str, float]]:
        """question_id -> (topic, latest graded score)."""
        rows = self._conn().execute(
            "SELECT question_id, topic, score FROM attempts WHERE user=? AND status='graded' ORDER BY id",
            (user,)).fetchall()
        return {r["question_id"]: (r["topic"], float(r["score"])) for r in rows}

    def progress(self, user: str = "local") -> Progress:
        all_attempts = self.attempts(user)
        graded = [a for a in all_attempts if a.status == "graded" and a.score is not None]
        counts: dict[str, int] = {}
        for a in all_attempts:
            counts[a.topic] = counts.get(a.topic, 0) + 1
        topics = topic_mastery(self.latest_scores(user), counts)
        mean = round(sum(a.score or 0 for a in graded) / len(graded), 2) if graded else None
        return Progress(user=user, attempts=len(all_attempts), graded=len(graded),
                        pending=sum(a.status == "pending" for a in all_attempts), mean_score=mean,
                        topics=[TopicMastery(**t) for t in topics], due=self.cards(user))

    def export_csv(self, user: str, path: Path | str) -> int:
        """Write the user's attempts as CSV; returns the number of rows."""
        rows = self.attempts(user)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for a in rows:
                writer.writerow({k: getattr(a, k) for k in CSV_FIELDS})
        return len(rows)
