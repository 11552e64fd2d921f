"""What a grade is measured against: the bank item (given, matched by question text, or found by
retrieval) or, for a free-form question, the retrieved notes alone. No heavy imports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tutor.errors import InputError, NotFoundError, TutorError
from tutor.grading.checks import detect_lang, normalize
from tutor.ports import Searcher
from tutor.types import BankItem, Citation, Hit

MATCH_SIMILARITY = 0.75   # dense cosine of the question to a bank question's chunk to reuse its rubric
CONTEXT_CHARS = 1200


@dataclass
class Sources:
    item: BankItem | None            # the bank item, None for a free-form question
    rubric: BankItem                 # what key points come from (the item, or a pseudo-item of context)
    citations: list[Citation] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # texts of all retrieved hits (the mix-up check)

    @property
    def reference(self) -> str:
        return self.rubric.reference_answer or self.rubric.strong_answer

    lang: str = "ru"

    @property
    def key_points(self) -> list[str]:
        if self.rubric.key_points_derived:  # one language already; no RU/EN duplicates to drop
            return self.rubric.key_points
        return in_language(self.rubric.key_points, self.lang)

    @property
    def red_flags(self) -> list[str]:
        return in_language(self.rubric.red_flags, self.lang)


def in_language(lines: list[str], lang: str) -> list[str]:
    """Items merged from RU and EN documents carry each point twice: keep the answer's language
    when both are present. ['А', 'B'] with 'ru' -> ['А']; a single-language list is kept."""
    mine = [x for x in lines if detect_lang(x) == lang]
    other = [x for x in lines if detect_lang(x) != lang]
    return mine if mine and other else lines


def match_bank(question: str, bank: Any) -> BankItem | None:
    """Exact match on the normalised question text (or one of its alternative phrasings)."""
    if bank is None:
        return None
    key = normalize(question)
    for item in bank.items:
        if key in {normalize(q) for q in [item.question, *item.question_alt]}:
            return item  # type: ignore[no-any-return]
    return None


def _from_hits(hits: list[Hit], bank: Any) -> BankItem | None:
    for h in hits:
        close = h.dense_score is None or h.dense_score >= MATCH_SIMILARITY
        if h.chunk.question_id and close and bank is not None:
            try:
                return bank.get(h.chunk.question_id)  # type: ignore[no-any-return]
            except NotFoundError:
                continue
    return None


def _citations(hits: list[Hit], item: BankItem | None) -> list[Citation]:
    own = [h for h in hits if item and h.chunk.question_id == item.id] or hits[:2]
    out = [Citation(n=i, chunk_id=h.chunk.chunk_id, doc=h.chunk.doc, section=h.chunk.section, text=h.chunk.text)
           for i, h in enumerate(own[:2], start=1)]
    if not out and item and item.docs:
        out = [Citation(n=1, chunk_id=(item.source_chunk_ids or [""])[0], doc=item.docs[0], section=item.topic,
                        text=item.reference_answer)]
    return out


def resolve_sources(question: str, item: BankItem | None, bank: Any, searcher: Searcher | None,
                    context: list[Hit] | None) -> Sources:
    item = item or match_bank(question, bank)
    hits = list(context or [])
    if not hits and searcher is not None:
        try:
            hits = searcher.search(item.question if item else question, k=5)
        except TutorError:
            if item is None:
                raise
            hits = []  # a bank item is gradable without retrieval; only citations are lost
    if item is None:
        item = _from_hits(hits, bank)
    if item is not None and (item.reference_answer or item.strong_answer).strip():
        return Sources(item=item, rubric=item, citations=_citations(hits, item), notes=_texts(hits))
    if not hits:
        raise InputError(f"Nothing to grade against: '{question}' is not in the question bank and no notes "
                         "were retrieved for it.", hint="Run `tutor ingest`, or pick a bank question.")
    text = "\n".join(h.chunk.text for h in hits[:2])[:CONTEXT_CHARS]
    pseudo = BankItem(id="ctx-" + hashlib.sha256(text.encode()).hexdigest()[:12], topic=hits[0].chunk.topic,
                      question=question, reference_answer=text)
    return Sources(item=None, rubric=pseudo, citations=_citations(hits, None), flags=["no_reference"],
                   notes=_texts(hits))


def _texts(hits: list[Hit]) -> list[str]:
    return [h.chunk.text for h in hits]
