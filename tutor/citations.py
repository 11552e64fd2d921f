"""Numbered sources: build them from hits, fit them into a token budget, check the [n] markers of
an answer against them.

Pure: imports nothing heavy. ``count_tokens`` is passed in (``ChatLLM.count_tokens``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from ingest.structure import ANSWER_RE
from tutor.types import Citation, Hit

CountTokens = Callable[[str], int]

# "[1]", "[1, 2]", "[1-3]", "[source 2]", "[источник 2]"; the group holds the numbers.
_MARKER = re.compile(r"(?P<pre>\s?)\[(?:(?:source|источник|sources|источники)\s*)?"
                     r"(?P<nums>\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]", re.IGNORECASE)


class CheckedAnswer(BaseModel):
    text: str = Field(description="Answer text with every [n] that has no source removed.")
    citations: list[Citation] = Field(default_factory=list, description="Valid cited sources, by n.")
    removed: list[int] = Field(default_factory=list, description="Cited numbers that had no source.")


def sources_from_hits(hits: Sequence[Hit]) -> list[Citation]:
    """Hits in rank order -> sources numbered 1..k (each carries doc, section, chunk_id, text)."""
    return [Citation(n=i, chunk_id=h.chunk.chunk_id, doc=h.chunk.doc,
                     section=h.chunk.section or " > ".join(h.chunk.heading_path), text=h.chunk.text)
            for i, h in enumerate(hits, start=1)]


def truncate_to_tokens(text: str, max_tokens: int, count_tokens: CountTokens) -> str:
    """Cut ``text`` (at a word boundary, with ' …') so it counts at most ``max_tokens`` tokens.

    The cut is proportional to the token count, then shrunk by 10 % until it fits (few calls to
    ``count_tokens``, which may be a server round trip).
    """
    tokens = count_tokens(text)
    if tokens <= max_tokens:
        return text
    chars = max(1, len(text) * max_tokens // tokens)
    while True:
        cut = text[:chars]
        head = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip() + " …"
        if chars <= 1 or count_tokens(head) <= max_tokens:
            return head
        chars = chars * 9 // 10


def fit_sources(sources: Sequence[Citation], budget: int, count_tokens: CountTokens, *,
                max_source_tokens: int, overhead: int = 24) -> list[Citation]:
    """Keep the highest-ranked sources whose texts (each cut to ``max_source_tokens``, plus
    ``overhead`` tokens of labels) fit ``budget``; lower-ranked ones are dropped first.

    The first source is always kept (cut to what is left) so a covered question has a source.
    Kept sources are renumbered 1..m in rank order.
    """
    kept: list[Citation] = []
    left = budget
    for src in sources:
        text = truncate_to_tokens(src.text, max_source_tokens, count_tokens)
        cost = count_tokens(text) + overhead
        if cost > left:
            if kept or left <= overhead:
                break
            text = truncate_to_tokens(text, left - overhead, count_tokens)
            cost = left
        kept.append(src.model_copy(update={"n": len(kept) + 1, "text": text}))
        left -= cost
    return kept


def _numbers(spec: str) -> list[int]:
    """'1, 3' -> [1, 3]; '2-4' -> [2, 3, 4]; '5–2' -> [5] (a reversed range keeps its start)."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", spec.strip()):
        bounds = [int(b) for b in re.split(r"\s*[–-]\s*", part) if b]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] <= 20:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.append(bounds[0])
    return out


def check_citations(text: str, sources: Sequence[Citation]) -> CheckedAnswer:
    """Keep [n] markers that name a source, drop the others, list the cited sources.

    'LoRA [1] is cheap [7].' with sources 1..2 -> text 'LoRA [1] is cheap.', citations [1],
    removed [7]. A bracket glued to a word (``x[0]``) is treated as code unless it names a source.
    """
    by_n = {s.n: s for s in sources}
    cited: set[int] = set()
    removed: list[int] = []

    def repl(m: re.Match[str]) -> str:
        nums = _numbers(m.group("nums"))
        valid = [n for n in dict.fromkeys(nums) if n in by_n]
        glued = m.start() > 0 and not m.group("pre") and (text[m.start() - 1].isalnum()
                                                        or text[m.start() - 1] == "_")
        if glued and not valid:
            return m.group(0)
        removed.extend(n for n in nums if n not in by_n)
        cited.update(valid)
        return (m.group("pre") + "".join(f"[{n}]" for n in valid)) if valid else ""

    cleaned = _MARKER.sub(repl, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned) if removed else cleaned
    return CheckedAnswer(text=cleaned.strip(), citations=[by_n[n] for n in sorted(cited)],
                         removed=removed)


_RULE = re.compile(r"^[\s|:\-]*$")  # a table's |---|---| line


def notes_excerpt(text: str, limit: int = 360) -> str:
    """What a source says, as one quotable line: the answer part of a Q/A chunk (else the chunk
    without its heading line), table rules dropped, lines joined, cut at a sentence end <= ``limit``.

    'Quantization · Medium\nQ: GPTQ vs AWQ?\nA: Оба INT4. AWQ activation-aware.' -> 'Оба INT4. AWQ activation-aware.'
    """
    lines = text.splitlines()
    head = next((i for i, ln in enumerate(lines) if ANSWER_RE.match(ln)), None)
    if head is None:
        lines = lines[1:] or lines
    else:
        lines = [ANSWER_RE.sub("", lines[head], count=1), *lines[head + 1:]]
    line = " ".join(ln.strip() for ln in lines if ln.strip() and not _RULE.match(ln))
    if len(line) <= limit:
        return line
    cut = max(line.rfind(". ", 0, limit), line.rfind("; ", 0, limit))
    return line[:cut + 1] if cut > limit // 3 else line[:line.rfind(" ", 0, limit)].rstrip(",;:") + " …"
