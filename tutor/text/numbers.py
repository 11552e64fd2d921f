"""Numbers in text: the project's one number reader, and which numbers a text could have taken from
the notes (their own, or a product or quotient of two of them). The grader's and the answering
side's number checks both call this.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

# a number: '8', '2.5', '4,5', '10^4', '86,400' (a thousands separator: 86400); list markers ('1)',
# '(2)', '3.') are not numbers, years in a range are
_NUMBER = re.compile(r"(?<![\w.])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|(?<![\w.])\d+(?:[.,]\d+)?")
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+")
_LIST_HEAD = re.compile(r"^\s*(?:[-*•]|\(?\d{1,2}[.)])\s+")


def numbers(text: str) -> set[str]:
    """'2–10x, 4,5 GB, 1.5B and 86,400 s' -> {'2', '10', '4.5', '1.5', '86400'}."""
    return {m.group(0).replace(",", "") if _THOUSANDS.fullmatch(m.group(0)) else m.group(0).replace(",", ".")
            for m in _NUMBER.finditer(text)}


def new_numbers(sentence: str, notes: str) -> list[str]:
    """Numbers of ``sentence`` that the notes never write (a list marker does not count)."""
    known = numbers(notes)
    return sorted(numbers(_LIST_HEAD.sub("", sentence)) - known)


# A number within this share of one the notes give, or of a product or quotient of two of them,
# is the notes' number ('≈1157 QPS' from 100M / 86400, '~3500' from 3 x 1157). First choice, not swept.
DERIVED_TOLERANCE = 0.03


def derivable(notes: str) -> list[float]:
    """The notes' numbers with every product and quotient of two of them (sorted):
    '10M DAU, 10 requests, 86400 s' -> [..., 10.0, 86400.0, 100.0, 864000.0, ...]."""
    known = {float(n) for n in numbers(notes)}
    out = set(known)
    for a in known:
        for b in known:
            out.add(a * b)
            if b:
                out.add(a / b)
    return sorted(out)


def unverified_numbers(sentence: str, known: Sequence[float]) -> list[str]:
    """Numbers of ``sentence`` (list markers aside) that are none of ``known`` (``derivable(notes)``, sorted)
    within DERIVED_TOLERANCE: ('в 8x меньше памяти', derivable('~2x memory')) -> ['8']."""
    out = []
    for n in sorted(numbers(_LIST_HEAD.sub("", sentence))):
        x = float(n)  # only k in about [x / (1 + t), x / (1 - t)] can be within the tolerance
        lo, hi = bisect_left(known, x / (1 + 2 * DERIVED_TOLERANCE)), bisect_right(known, x / (1 - 2 * DERIVED_TOLERANCE))
        if not any(abs(x - k) <= DERIVED_TOLERANCE * max(abs(k), 1e-9) for k in known[lo:hi]):
            out.append(n)
    return out
