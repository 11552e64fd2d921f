"""Token budgeting (pure): an offline token estimate and trimming context blocks to a window."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

CountTokens = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate for Qwen-style BPE on Russian notes full of English terms.

    Fitted against the server's /tokenize on 1,000-char windows of corpus/: Cyrillic ~3.2
    chars/token, other non-space characters ~3.9, whitespace ~2.2 (indentation and newlines are
    dear), plus 5% so that budgets err on the safe side. 'hello world' -> 4; '' -> 0.
    """
    if not text:
        return 0
    cyr = ws = 0
    for ch in text:
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isspace():
            ws += 1
    other = len(text) - cyr - ws
    return max(1, math.ceil(1.05 * (cyr / 3.2 + other / 3.9 + ws / 2.2)))


def fit_budget(blocks: Sequence[str], *, prompt_tokens: int, max_tokens: int, context_window: int,
               count: CountTokens = approx_tokens, separator_tokens: int = 2,
               min_block_tokens: int = 48) -> list[str]:
    """Keep context blocks (most important first) so that prompt + blocks + max_tokens fits.

    ``prompt_tokens`` is the cost of everything else in the prompt (system, question, template).
    Blocks are kept whole in order; the first block that does not fit is cut to the room left
    (if at least ``min_block_tokens`` remain) and the rest are dropped.

    >>> fit_budget(["aaaa", "bbbb", "cccc"], prompt_tokens=2, max_tokens=2, context_window=10,
    ...            count=len, separator_tokens=0, min_block_tokens=1)
    ['aaaa', 'bb']
    """
    room = context_window - max_tokens - prompt_tokens
    kept: list[str] = []
    for block in blocks:
        cost = count(block) + separator_tokens
        if cost <= room:
            kept.append(block)
            room -= cost
            continue
        allowed = room - separator_tokens
        if allowed >= min_block_tokens:
            kept.append(truncate(block, allowed, count))
        break
    return kept


def truncate(text: str, max_tokens: int, count: CountTokens = approx_tokens) -> str:
    """Longest prefix of ``text`` with at most ``max_tokens`` tokens (binary search on chars,
    cut back to a word boundary when one is near). 'one two three', 2, len -> 'on'."""
    if count(text) <= max_tokens:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    head = text[:lo]
    space = head.rfind(" ")
    return (head[:space] if space > lo * 0.8 else head).rstrip()
