"""Evaluation data: the golden set (derived from the question bank) and the paraphrase set.

golden_v1.jsonl: one GoldenItem per line; every line carries ``version`` and ``bank_hash`` so a
report can say which bank the set was built from and detect a stale set.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from tutor.core.errors import InputError, NotFoundError
from tutor.core.types import BankItem, Lang, Level

DATA_DIR = Path(__file__).resolve().parent / "data"
GOLDEN_VERSION = 1
GOLDEN_PATH = DATA_DIR / f"golden_v{GOLDEN_VERSION}.jsonl"
PARAPHRASE_PATH = DATA_DIR / "paraphrases.jsonl"
M = TypeVar("M", bound=BaseModel)


class GoldenItem(BaseModel):
    id: str
    question: str
    reference_answer: str
    gold_chunk_ids: list[str]
    topic: str = ""
    level: Level | None = None
    lang: Lang = "ru"
    docs: list[str] = Field(default_factory=list)
    version: int = GOLDEN_VERSION
    bank_hash: str = ""


class Paraphrase(BaseModel):
    id: str
    q: str
    lang: Lang = "ru"
    doc: str = ""
    fact: str


def bank_hash(items: Iterable[BankItem]) -> str:
    """Stable 12-hex digest of what the golden set depends on (ids, questions, references, chunks)."""
    rows = sorted((i.id, i.question, i.reference_answer, sorted(i.source_chunk_ids)) for i in items)
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:12]


def _round_robin(items: list[BankItem]) -> list[BankItem]:
    """Interleave topics so that the first N items (``--limit N``) cover many topics."""
    by_topic: dict[str, list[BankItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.topic, i.id)):
        by_topic[item.topic].append(item)
    queues = [by_topic[t] for t in sorted(by_topic)]
    out: list[BankItem] = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def build_golden(items: Iterable[BankItem]) -> list[GoldenItem]:
    """Bank items with a reference answer and source chunks -> golden items, topic-interleaved."""
    items = list(items)
    digest = bank_hash(items)
    usable = [i for i in items if i.reference_answer.strip() and i.source_chunk_ids]
    return [GoldenItem(id=i.id, question=i.question, reference_answer=i.reference_answer,
                       gold_chunk_ids=list(i.source_chunk_ids), topic=i.topic, level=i.level,
                       lang=i.lang, docs=list(i.docs), bank_hash=digest)
            for i in _round_robin(usable)]


def write_jsonl(rows: Iterable[BaseModel], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def _read_jsonl(path: Path, model: type[M], what: str) -> list[M]:
    if not path.exists():
        raise NotFoundError(f"The {what} file {path} does not exist.",
                            hint="Build it first (see docs/evals.md).")
    out: list[M] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(model.model_validate_json(line))
        except ValidationError as err:
            raise InputError(f"Line {n} of {path} is not a valid {what} row: {err.errors()[0]['msg']}.") \
                from err
    return out


def load_golden(path: Path | None = None) -> list[GoldenItem]:
    return _read_jsonl(path or GOLDEN_PATH, GoldenItem, "golden set")


def load_paraphrases(path: Path | None = None) -> list[Paraphrase]:
    return _read_jsonl(path or PARAPHRASE_PATH, Paraphrase, "paraphrase set")
