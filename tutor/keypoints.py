"""Key points ("what a pro should cover") for bank items that have none: derived once from the
reference answer by the LLM and stored in SQLite keyed by item id + reference hash, so a grade
never pays for the derivation twice and an edited reference gets new points. The LLM proposes,
Python keeps only points grounded in the reference (same language, its words) and tops the list up
to MIN_POINTS with the reference's own statements.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from pathlib import Path

from tutor.errors import InputError
from tutor.grading.checks import STOP, detect_lang, sentences
from tutor.grading.schema import KeyPoints
from tutor.ports import ChatLLM
from tutor.prompting import render
from tutor.types import BankItem

_SCHEMA = """CREATE TABLE IF NOT EXISTS key_points (
    item_id TEXT NOT NULL, ref_hash TEXT NOT NULL, points TEXT NOT NULL,
    PRIMARY KEY (item_id, ref_hash))"""
MAX_POINTS = 4
MIN_POINTS = 3        # fewer derived points let a partial answer tie a strong one (10 = 10)
_WORD = re.compile(r"[\w+-]+", re.UNICODE)
_MARKUP = re.compile(r"\*\*|__|`|^\s*[#>]+\s*")


def ref_hash(reference: str) -> str:
    return hashlib.sha256(reference.strip().encode("utf-8")).hexdigest()[:16]


def clean_points(points: list[str]) -> list[str]:
    """Strip bullets/numbers, drop empties and duplicates, keep at most MAX_POINTS.
    ['1. A', '- A', ' B '] -> ['A', 'B']"""
    out: list[str] = []
    for p in points:
        text = p.strip().lstrip("-•*0123456789.) ").strip()
        if text and text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return out[:MAX_POINTS]


def _content_words(text: str) -> set[str]:
    """5-letter stems of words of 3+ letters. Looser than ``checks.content_words`` (6 letters) on
    Russian endings; the calibration of docs/grading.md was measured with this one."""
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 2}


def _share(text: str, other: set[str]) -> float:
    """Share of ``text``'s content words that are in ``other`` (0 when it has none)."""
    words = _content_words(text)
    return len(words & other) / len(words) if words else 0.0


def reference_statements(reference: str) -> list[str]:
    """The reference's own prose sentences that can serve as a key point: markup stripped, table
    rows and code skipped, 4-40 words. 'Коротко. **BPE** сливает самые частые пары.' ->
    ['BPE сливает самые частые пары.']"""
    out: list[str] = []
    in_code = False
    for line in reference.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or "|" in line or line.startswith("    "):
            continue
        for sent in sentences(_MARKUP.sub("", line)):
            sent = sent.strip().lstrip("-•0123456789.) ").strip()
            if 4 <= len(sent.split()) <= 40:
                out.append(sent)
    return out


def grounded(point: str, reference: str, min_share: float = 0.5) -> bool:
    """Is a derived point the reference's own fact, in the reference's language? At least half of
    its content words (5-letter stems) occur in the reference. The 1.5B model sometimes answers in
    English for a Russian reference, or adds a fact the reference does not state ('particularly
    useful for large models'); its judge then rates a correct Russian answer 'missed' on them."""
    return detect_lang(point) == detect_lang(reference) and _share(point, _content_words(reference)) >= min_share


def top_up(points: list[str], reference: str, min_points: int = MIN_POINTS) -> list[str]:
    """Add the reference's own statements (in order, skipping ones a point already says: half of
    their content words shared) until there are ``min_points``. Deterministic, so applying it to
    cached points gives the same list every time."""
    out = list(points)
    for stmt in reference_statements(reference):
        if len(out) >= min_points:
            break
        if _content_words(stmt) and not any(_share(stmt, _content_words(p)) >= 0.5 for p in out):
            out.append(stmt)
    return out


class KeyPointCache:
    """SQLite table of derived key points; one connection per thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().execute(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def get(self, item_id: str, reference: str) -> list[str] | None:
        row = self._conn().execute("SELECT points FROM key_points WHERE item_id=? AND ref_hash=?",
                                   (item_id, ref_hash(reference))).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, item_id: str, reference: str, points: list[str]) -> None:
        with self._conn() as conn:
            conn.execute("INSERT OR REPLACE INTO key_points VALUES (?,?,?)",
                         (item_id, ref_hash(reference), json.dumps(points, ensure_ascii=False)))


def derive_key_points(llm: ChatLLM, question: str, reference: str) -> list[str]:
    if not reference.strip():
        raise InputError(f"Cannot derive key points for '{question}': it has no reference answer.")
    prompt = render("keypoints", question=question, reference=reference, lang=detect_lang(reference))
    out = llm.structured([{"role": "user", "content": prompt}], KeyPoints, purpose="keypoints",
                         max_tokens=300)
    return clean_points(out.points)


def ensure_key_points(item: BankItem, llm: ChatLLM, cache: KeyPointCache | None) -> BankItem:
    """The item with key points: its own, else cached, else derived now (and cached)."""
    if item.key_points:
        return item
    reference = item.reference_answer or item.strong_answer
    points = cache.get(item.id, reference) if cache else None
    if points is None:
        points = derive_key_points(llm, item.question, reference)
        if cache:
            cache.put(item.id, reference, points)
    points = top_up([p for p in points if grounded(p, reference)], reference)
    return item.model_copy(update={"key_points": points, "key_points_derived": True})
