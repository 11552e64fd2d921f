"""Token budgeting (pure): an offline token estimate and the one token-fitting cut."""

from __future__ import annotations

import math
from collections.abc import Callable

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


def truncate(text: str, max_tokens: int, count: CountTokens = approx_tokens) -> str:
    """Cut ``text`` (at a word boundary, with ' …') so it counts at most ``max_tokens`` tokens.

    The cut is proportional to the token count, then shrunk by 10 % until it fits (few calls to
    ``count``, which may be a server round trip). 'one two three four', 2, words -> 'one …'.
    """
    tokens = count(text)
    if tokens <= max_tokens:
        return text
    chars = max(1, len(text) * max_tokens // tokens)
    while True:
        cut = text[:chars]
        head = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip() + " …"
        if chars <= 1 or count(head) <= max_tokens:
            return head
        chars = chars * 9 // 10
