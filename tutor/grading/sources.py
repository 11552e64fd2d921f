"""What a grade is measured against: the bank item (given, the same question text, or any
phrasing through the bank-question index) or, for a question the bank does not hold, the rubric
of the best retrieved Q/A or rubric chunk — and the grade says which. No heavy imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.core.errors import NotFoundError
from tutor.core.ports import Searcher
from tutor.core.types import BankItem, Citation, Hit, Rubric
from tutor.grading.rubric import structure_rubric
from tutor.text.words import normalise_text


@dataclass
class Sources:
    item: BankItem              # the bank item (or a pseudo-item built from a retrieved chunk)
    rubric: Rubric
    how: str                    # 'given' | 'same_text' | 'matched' | 'nearest_notes'
    match_score: float | None = None
    matched_question: str = ""  # the bank question the typed question was matched to
    citations: list[Citation] = field(default_factory=list)

    @property
    def in_bank(self) -> bool:
        return self.how != "nearest_notes"


def same_text(question: str, bank: Any) -> BankItem | None:
    """Exact match on the normalised question text (or one of its alternative phrasings)."""
    if bank is None:
        return None
    key = normalise_text(question)
    for item in bank.items:
        if key in {normalise_text(q) for q in [item.question, *item.question_alt]}:
            return item  # type: ignore[no-any-return]
    return None


def rubric_of(item: BankItem) -> Rubric:
    return item.rubric if item.rubric is not None else structure_rubric(item)


def notes_text(item: BankItem, rubric: Rubric, question: str) -> str:
    """Everything the notes say for this question (its phrasings, reference and strong answer, the
    rubric's points, what they quote and their probes' right answers) and the typed question — never
    the weak answer, red flags or a probe's wrong option."""
    parts = [question, item.question, *item.question_alt, *item.alternates, item.reference_answer,
             item.strong_answer, *item.key_points]
    for p in rubric.key_points:
        parts += [p.text, p.support, p.probe.right if p.probe else ""]
    return "\n".join(x for x in parts if x)


def citations_for(item: BankItem) -> list[Citation]:
    if not item.docs:
        return []
    return [Citation(n=1, chunk_id=(item.source_chunk_ids or [""])[0], doc=item.docs[0],
                     section=item.topic, text=item.reference_answer or item.strong_answer)]


def resolve(question: str, item: BankItem | None, bank: Any, match: Any, searcher: Searcher | None) -> Sources:
    """``match``: typed question -> tutor.retrieval.bank_index.Match | None (the question index)."""
    if item is not None:
        return Sources(item, rubric_of(item), "given", citations=citations_for(item))
    found = same_text(question, bank)
    if found is not None:
        return Sources(found, rubric_of(found), "same_text", 1.0, found.question, citations_for(found))
    m = match(question) if match is not None else None
    if m is not None:
        return Sources(m.item, rubric_of(m.item), "matched", m.score, m.item.question, citations_for(m.item))
    return _nearest_notes(question, bank, searcher)


def _nearest_notes(question: str, bank: Any, searcher: Searcher | None) -> Sources:
    """The best retrieved Q/A or rubric chunk: its bank item's rubric, else a rubric built the same
    clean way from the chunk's text."""
    if searcher is None:
        raise NotFoundError(f"'{question}' is not in the question bank and there are no notes to grade against.",
                            hint="Run `tutor ingest`, or pick a question from `tutor bank list`.")
    hits: list[Hit] = searcher.search(question, k=5)
    hits = [h for h in hits if h.chunk.kind in ("qa", "rubric", "interview")] or hits
    for h in hits:
        if h.chunk.question_id and bank is not None:
            try:
                it = bank.get(h.chunk.question_id)
            except NotFoundError:
                continue
            return Sources(it, rubric_of(it), "nearest_notes", h.dense_score, it.question, citations_for(it))
    if not hits:
        raise NotFoundError(f"'{question}' is not in the question bank and no notes were retrieved for it.",
                            hint="Run `tutor ingest`, or pick a question from `tutor bank list`.")
    c = hits[0].chunk
    pseudo = BankItem(id="notes-" + c.chunk_id[:12], topic=c.topic, question=c.question or question,
                      reference_answer=c.text, lang=c.lang, docs=[c.doc], source_chunk_ids=[c.chunk_id])
    cite = [Citation(n=1, chunk_id=c.chunk_id, doc=c.doc, section=c.section, text=c.text)]
    return Sources(pseudo, structure_rubric(pseudo), "nearest_notes", hits[0].dense_score, pseudo.question, cite)
