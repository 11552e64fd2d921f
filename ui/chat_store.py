"""Chat conversations persisted per user in SQLite (own table in the app database), so a user's
conversation is restored after a restart. One short-lived connection per call: safe from any thread."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from tutor.core.types import Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ui_chat_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ui_chat_user ON ui_chat_messages(user, id);
"""


class ChatStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def append(self, user: str, role: str, content: str, citations: list[Citation] | None = None) -> None:
        cites = json.dumps([c.model_dump() for c in citations or []], ensure_ascii=False)
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO ui_chat_messages(user, role, content, citations, created) "
                       "VALUES (?, ?, ?, ?, ?)", (user, role, content, cites, time.time()))

    def messages(self, user: str, limit: int = 200) -> list[dict[str, str]]:
        """The user's last ``limit`` messages, oldest first: [{'role': 'user', 'content': '...'}]."""
        return [{"role": r, "content": c} for r, c, _ in self._rows(user, limit)]

    def last_citations(self, user: str) -> list[Citation]:
        """Citations of the user's last assistant message (for the source cards)."""
        for role, _, cites in reversed(self._rows(user, 200)):
            if role == "assistant":
                return [Citation.model_validate(c) for c in json.loads(cites)]
        return []

    def clear(self, user: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM ui_chat_messages WHERE user = ?", (user,))

    def _rows(self, user: str, limit: int) -> list[tuple[str, str, str]]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT role, content, citations FROM ui_chat_messages WHERE user = ? "
                              "ORDER BY id DESC LIMIT ?", (user, limit)).fetchall()
        return list(reversed(rows))
