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
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from tutor.answering.thresholds import ANSWERING
from tutor.core.types import BankItem, Citation
from tutor.text.labels import is_wrong_claim, red_flag_lines
from tutor.text.markdown import is_row, is_rule
from tutor.text.sentences import sentences
from tutor.text.words import terms

_ANSWER_LABEL = re.compile(r"^\s*(?:A|Ответ)\s*[:.]\s*", re.IGNORECASE)
_QUESTION_LABEL = re.compile(r"^\s*(?:Q|Вопрос)\s*[:.]", re.IGNORECASE)


def statement(sentence: str) -> str:
    """The sentence as a statement worth quoting ('A: ' label dropped), or '' for a question or a
    label ('Что должен затронуть профи:'). A chunk's header is dropped before (``body_sentences``)."""
    s = sentence.strip()
    if not s or s.endswith(("?", ":")) or _QUESTION_LABEL.match(s):
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
    def pro_text(self) -> str:
        return "\n".join(f"- {p}" for p in self.pro)

    @property
    def full_text(self) -> str:
        return "\n".join(t for t in (self.text, self.pro_text, self.also) if t)


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


def opening(item: BankItem) -> str:
    """The first 80 characters of the item's answer, squashed: what finds that answer in a text (the
    chunk that holds it, an earlier answer that showed it)."""
    return squash(next(iter(sentences(bank_text(item))), ""))[:80]


def shown_before(item: BankItem, seen: str) -> bool:
    """The conversation already showed this item's answer (``seen``: squashed earlier text)."""
    first = opening(item)
    return bool(seen and first and first in seen)


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
            first_n: int = 1,
            by_meaning: Callable[[list[str]], list[float]] | None = None) -> NotesPart | None:
    """At most ``max_sentences`` pieces of the top ``max_sources`` sources, chosen by their sentence
    sharing the most stemmed terms with the question (ties: the higher-ranked source, the earlier
    sentence; a sentence inside a piece already chosen is skipped), shown in source order, the
    sources numbered from ``first_n``. None when no sentence shares ``min_shared`` terms. A chunk's
    header line (its section path) is never quoted; a table row is quoted as its whole table (a row
    alone loses its column names and the rows a comparison needs), a sentence with the rest of its
    paragraph (``paragraph_of``). ``by_meaning``: sentences -> their closeness to the question by
    meaning; when given, sentences are ranked by it instead of by shared terms, and None only when
    the sources hold no sentence (a follow-up's own words, 'какие минусы', share no term with the
    notes' 'Disadvantages')."""
    wanted = set(terms(question))
    found: list[tuple[int, int, str]] = []  # (rank, position, sentence)
    for rank, src in enumerate(sources[:max_sources]):
        flags = [squash(x) for x in red_flag_lines(src.text)]  # wrong claims: never the notes' word
        for pos, sent in enumerate(body_sentences(src.text)):
            body = statement(sent)
            if any(squash(sent) in f for f in flags):
                continue
            if len(body.split()) >= 3:
                found.append((rank, pos, body))
    scored: list[tuple[float, int, int, str]] = []  # (-closeness, rank, position, sentence)
    if by_meaning is not None and found:
        scored = [(-c, *x) for c, x in zip(by_meaning([b for *_, b in found]), found, strict=True)]
    else:
        for rank, pos, body in found:
            shared = len(wanted & set(terms(body)))
            if shared >= min_shared:
                scored.append((-shared, rank, pos, body))
    if not scored:
        return None
    chosen: list[tuple[int, int, list[str], bool]] = []  # (rank, position, quoted lines, a table?)
    for _, rank, pos, sent in sorted(scored):  # the best first; a piece already quoted is skipped
        if len(chosen) == max_sentences:
            break
        quoted = [squash(x) for *_, lines, _ in chosen for x in lines]
        if squash(sent) in quoted:
            continue  # a row of a table or a sentence of a paragraph quoted already
        table = table_of(sent, sources[rank].text)
        piece = table or paragraph_of(sent, sources[rank].text)
        if not table:  # the paragraph stops where an earlier piece's quote begins
            piece = piece[:next((i for i, x in enumerate(piece) if squash(x) in quoted), len(piece))]
        chosen.append((rank, pos, piece, bool(table)))
    cites: list[Citation] = []
    blocks: list[tuple[bool, str]] = []  # (a table?, quoted text)
    for rank, _, piece, is_table in sorted(chosen, key=lambda t: (t[0], t[1])):
        src = sources[rank]
        cite = next((c for c in cites if c.chunk_id == src.chunk_id), None)
        if cite is None:
            cite = src.model_copy(update={"n": first_n + len(cites), "origin": "notes", "quotes": []})
            cites.append(cite)
        if is_table:
            cite.quotes.extend(r for r in piece if not is_rule(r))
            blocks.append((True, "\n".join(piece) + f"\n\n[{cite.n}]"))
        else:
            cite.quotes.extend(piece)
            blocks.append((False, " ".join(piece) + f" [{cite.n}]"))
    return NotesPart(text=_join(blocks), origin="extract", citations=cites)


_END = (".", "!", "…", ")")


def body_sentences(text: str) -> list[str]:
    """A chunk's sentences without its header: a first line with no sentence end is the chunk's
    section path ('3. Что выбрать? (Decision Guide 2026) > Alignment Method'); in a one-line chunk,
    a first sentence with no sentence end ('RAG · Basic Q: ...')."""
    head, _, rest = text.strip().partition("\n")
    if rest and not head.rstrip().endswith(_END):
        return sentences(rest)
    found = sentences(text)
    return found[1:] if found and not found[0].rstrip().endswith(_END) else found


def paragraph_of(sentence: str, text: str, max_chars: int = ANSWERING.paragraph_chars) -> list[str]:
    """A quoted sentence with the sentences that follow it in its paragraph (its line of ``text``),
    while the quote stays within ``max_chars``: a sentence lifted alone drops the caveat after it
    ('Hit rate 50-80% ... только при FAQ.' + 'Для creative задач hit rate падает до 10-20%.'). A
    misconception or a weak answer (``tutor.text.labels``) brings the line after it, its correction,
    whose first sentence always shows."""
    want = squash(sentence)
    lines = text.splitlines()
    at_line = next((i for i, ln in enumerate(lines) if want in squash(ln)), None)
    line = lines[at_line] if at_line is not None else ""
    rest = [x for x in sentences(line) if x.strip()]
    fix = len(rest)  # where the correction of a wrong claim starts in ``rest``
    if at_line is not None and is_wrong_claim(line):  # a misconception or weak answer: what corrects it follows
        after = next((ln for ln in lines[at_line + 1:] if ln.strip()), "")
        rest += [x for x in sentences(after) if x.strip()]
    at = next((i for i, x in enumerate(rest) if want in squash(x) or squash(x) in want), None)
    out = [sentence]
    if at is None:
        return out
    size = len(sentence)
    for i, x in enumerate(rest[at + 1:], start=at + 1):
        if squash(x) in want:
            continue  # a piece of the quoted sentence itself
        if size + 1 + len(x) > max_chars and i != fix:
            break
        out.append(x.strip())
        size += 1 + len(x)
    return out


def table_of(sentence: str, text: str, max_rows: int = ANSWERING.table_rows) -> list[str]:
    """The Markdown table a quoted row belongs to (its header, rule and up to ``max_rows`` rows), or []."""
    if not is_row(sentence):
        return []
    lines = [ln.strip() for ln in text.splitlines()]
    at = next((i for i, ln in enumerate(lines) if ln == sentence.strip()), None)
    if at is None:
        return []
    start = at
    while start > 0 and is_row(lines[start - 1]):
        start -= 1
    end = at
    while end + 1 < len(lines) and is_row(lines[end + 1]):
        end += 1
    table = lines[start:end + 1]
    head = table[:2] if len(table) > 1 and is_rule(table[1]) else []
    rows = table[len(head):]
    if sentence.strip() in head:
        return head + rows[:max_rows]
    first = max(0, rows.index(sentence.strip()) - max_rows + 1)  # the quoted row always shows
    return head + rows[first:first + max_rows]


def _join(blocks: list[tuple[bool, str]]) -> str:
    """Quoted pieces, one per line; a table stands apart (Markdown needs blank lines around it)."""
    out = ""
    for i, (table, text) in enumerate(blocks):
        if i:
            out += "\n\n" if table or blocks[i - 1][0] else "\n"
        out += text
    return out
