"""Numbered sources: build them from hits, cut a text to a token budget.

Pure: imports nothing heavy. ``count_tokens`` is passed in (``ChatLLM.count_tokens``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tutor.core.types import Citation, Hit

CountTokens = Callable[[str], int]


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
