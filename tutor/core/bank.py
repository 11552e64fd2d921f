"""The question bank: one BankItem per interview question, saved as JSON next to the vector store
(``settings.bank_path``); built and merged across documents by ``ingest.bank.build_bank``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tutor.core.errors import DocumentError, NotFoundError
from tutor.core.types import BankItem


class QuestionBank(BaseModel):
    items: list[BankItem] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict, description="Merged-away id -> kept id.")

    @classmethod
    def load(cls, path: Path) -> QuestionBank:
        if not path.exists():
            raise NotFoundError(f"No question bank at {path}.", hint="Run `tutor ingest` to build it.")
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as err:
            raise DocumentError(f"The question bank at {path} is damaged ({type(err).__name__}).",
                                path=str(path), hint="Run `tutor ingest` to rebuild it.") from err

    def save(self, path: Path) -> None:
        """Atomic write: a temporary file in the same directory, then rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".bank-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.model_dump_json(indent=1))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, item_id: str) -> BankItem:
        key = self.aliases.get(item_id, item_id)
        for item in self.items:
            if item.id == key:
                return item
        raise NotFoundError(f"No question with id '{item_id}' in the bank.",
                            hint="See `tutor bank list` for the ids.")

    def filter(self, *, topic: str | None = None, level: str | None = None,
               doc: str | None = None) -> list[BankItem]:
        """Case-insensitive exact topic / level / document filters; None does not filter."""
        def ok(value: str | None, wanted: str | None) -> bool:
            return wanted is None or (value or "").lower() == wanted.lower()
        return [i for i in self.items if ok(i.topic, topic) and ok(i.level, level)
                and (doc is None or doc in i.docs)]

    def topics(self) -> list[str]:
        return sorted({i.topic for i in self.items})

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts by topic, level ('-' = none) and document."""
        return {
            "topic": dict(Counter(i.topic for i in self.items).most_common()),
            "level": dict(Counter(i.level or "-" for i in self.items).most_common()),
            "doc": dict(Counter(d for i in self.items for d in i.docs).most_common()),
        }
