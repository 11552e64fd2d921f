"""The notes' part of an answer, chosen before the model writes a word (pure, no heavy imports).

- The question matches a bank item (``tutor.retrieval.bank_index``): the item's own reference answer,
  verbatim, cited to its chunk.
- Otherwise: the sentences of the top sources that share the most of the question's terms,
  verbatim, each cited to its source, in source order.

Each cited source carries the exact sentences the answer shows (``Citation.quotes``), so the source
viewer highlights them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tutor.answering.thresholds import ANSWERING
from tutor.core.types import BankItem, Citation
from tutor.text.sentences import sentences
from tutor.text.words import terms

_ANSWER_LABEL = re.compile(r"^\s*(?:A|Ответ)\s*[:.]\s*", re.IGNORECASE)
_QUESTION_LABEL = re.compile(r"^\s*(?:Q|Вопрос)\s*[:.]", re.IGNORECASE)


def statement(sentence: str, first: bool) -> str:
    """The sentence as a statement worth quoting ('A: ' label dropped), or '' for a question, a
    label or heading ('Что должен затронуть профи:'), or a chunk's first line with no sentence end
    (its 'Topic · Level' header)."""
    s = sentence.strip()
    if (not s or s.endswith(("?", ":")) or _QUESTION_LABEL.match(s)
            or (first and not s.endswith((".", "!", "…", ")")))):
        return ""
    return _ANSWER_LABEL.sub("", s)


class NotesPart(BaseModel):
    text: str = Field(description="What the notes say, verbatim (bank answer or extracted sentences).")
    origin: Literal["bank", "extract"]
    bank_id: str = ""
    bank_question: str = Field("", description="The bank question the typed question was matched to.")
    match_score: float | None = None
    pro: list[str] = Field(default_factory=list, description="Under a bank answer: the item's own 'what a pro "
                           "should cover' bullets from the notes, verbatim, when the answer does not already hold them.")
    also: str = Field("", description="Under a bank answer: related sentences of other notes, verbatim, cited.")
    points: list[str] = Field(default_factory=list, description="The bank item's key points (its rubric: "
                              "one statement each, checked against the reference): what the explainer reads.")
    citations: list[Citation] = Field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *(f"- {p}" for p in self.pro), *([self.also] if self.also else [])])


def clip(text: str, max_chars: int = ANSWERING.max_notes_chars) -> str:
    """``text`` cut after the last sentence that fits ``max_chars`` (with ' …'); short text as is."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    kept: list[str] = []
    size = 0
    for s in sentences(text):
        if size + len(s) + 1 > max_chars and kept:
            break
        kept.append(s)
        size += len(s) + 1
    out = " ".join(kept)
    if len(out) > max_chars:  # one huge sentence (a flattened table): cut at a word
        out = out[:max_chars].rsplit(" ", 1)[0]
    return out + " …"


def bank_text(item: BankItem) -> str:
    """The notes' own answer to a bank item: its reference answer, else the strong answer of an
    interview pair, else its key points."""
    return (item.reference_answer.strip() or item.strong_answer.strip()
            or "\n".join(f"- {p}" for p in item.key_points))


def pro_points(item: BankItem, text: str) -> list[str]:
    """The notes' own 'what a pro should cover' bullets of a rubric item (never points a model derived)
    that ``text`` does not already hold: a rubric item's expanded answer often omits the named
    methods its bullets list ('Дедуп (MinHash/SimHash)...')."""
    if item.key_points_derived:
        return []
    held = squash(text)
    return [p for p in item.key_points if p.strip() and squash(p) not in held]


def squash(text: str) -> str:
    """Whitespace runs as one space: 'A:\n  B' -> 'A: B' (a bank answer may join lines its chunk breaks)."""
    return " ".join(text.split())


def from_bank(item: BankItem, source: Citation, score: float | None) -> NotesPart:
    """The item's answer, cited to ``source``; the card highlights the sentences that chunk holds (a
    long answer spans several chunks)."""
    text = clip(bank_text(item))
    pro = pro_points(item, text)
    held = squash(source.text)
    quotes = [q for q in (s.rstrip(" …") for s in sentences(text)) if squash(q) in held]
    quotes += [p for p in pro if squash(p) in held]
    cite = source.model_copy(update={"n": 1, "origin": "notes", "quotes": quotes})
    points = [p.text for p in item.rubric.key_points] if item.rubric is not None else []
    return NotesPart(text=text, origin="bank", bank_id=item.id, bank_question=item.question,
                     match_score=score, citations=[cite], points=points, pro=pro)


def with_also(notes: NotesPart, question: str, context: Sequence[Citation]) -> NotesPart:
    """A bank answer plus the related sentences of the other sources (``also``), numbered after it."""
    more = extract(question, context, max_sentences=ANSWERING.also_sentences, max_sources=ANSWERING.also_sources,
                   min_shared=ANSWERING.also_min_shared, first_n=len(notes.citations) + 1)
    if more is None:
        return notes
    return notes.model_copy(update={"also": more.text, "citations": notes.citations + more.citations})


def extract(question: str, sources: Sequence[Citation], *, max_sentences: int = ANSWERING.extract_sentences,
            max_sources: int = ANSWERING.extract_sources, min_shared: int = ANSWERING.extract_min_shared,
            first_n: int = 1) -> NotesPart | None:
    """The sentences of the top ``max_sources`` sources sharing the most stemmed terms with the
    question (ties: the higher-ranked source, the earlier sentence), shown in source order, the
    sources numbered from ``first_n``. None when no sentence shares ``min_shared`` terms."""
    wanted = set(terms(question))
    scored: list[tuple[int, int, int, str]] = []  # (-shared, rank, position, sentence)
    for rank, src in enumerate(sources[:max_sources]):
        for pos, sent in enumerate(sentences(src.text)):
            body = statement(sent, first=pos == 0)
            shared = len(wanted & set(terms(body)))
            if shared >= min_shared and len(body.split()) >= 3:
                scored.append((-shared, rank, pos, body))
    if not scored:
        return None
    best = sorted(sorted(scored)[:max_sentences], key=lambda t: (t[1], t[2]))
    cites: list[Citation] = []
    lines: list[str] = []
    for _, rank, _, sent in best:
        src = sources[rank]
        cite = next((c for c in cites if c.chunk_id == src.chunk_id), None)
        if cite is None:
            cite = src.model_copy(update={"n": first_n + len(cites), "origin": "notes", "quotes": []})
            cites.append(cite)
        cite.quotes.append(sent)
        lines.append(f"{sent} [{cite.n}]")
    return NotesPart(text="\n".join(lines), origin="extract", citations=cites)
