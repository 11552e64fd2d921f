"""Spot a model's repetition loop while it streams, and take the copies out of the text.

A 1.5B model at temperature 0 sometimes falls into a loop and repeats one sentence until
``max_tokens`` (measured: the GPTQ-vs-AWQ answer said "AWQ активно использует информацию о втором
порядке (Hessian) ..." 15 times, up to the 512-token limit, for the reader to scroll past).
Two shapes are seen:

* a sentence / line comes back again and again, possibly with others between the copies
  (``A B A B A`` or ``A B B B``): the third copy of one sentence is a loop;
* a phrase repeats with no sentence end at all ("и так далее и так далее ..."): the text ends in
  three back-to-back copies of one piece of at least ``MIN_PERIOD`` characters holding letters.

``looping(text)`` answers "stop now?" for the text streamed so far; ``drop_repeats(text)`` keeps
the first copy of every sentence and the first copy of a repeated tail. Pure functions.

    A, B = "LoRA trains two low-rank matrices. ", "QLoRA also quantizes the base. "
    looping(A + B + A)      -> False
    looping(A + B + A + A)  -> True
    drop_repeats(A + B + A + A) -> "LoRA trains two low-rank matrices. QLoRA also quantizes the base."
"""

from __future__ import annotations

import re
from collections import Counter

MIN_SENTENCE = 20  # characters of a normalised sentence: shorter ones ("Да.", "1.") may repeat
LOOP_COPIES = 3    # the third copy of one sentence means a loop
MIN_PERIOD, MAX_PERIOD = 12, 400  # a repeated tail piece, in characters

_END = re.compile(r"[.!?…]+(?=\s|$)[ \t]*|\n[ \t]*")  # a sentence or line ends here
_MARKER = re.compile(r"\[\d+\]|^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)  # [n], list heads
_NON_WORD = re.compile(r"[^\w]+")
_LETTERS = re.compile(r"[^\W\d_]{3}")


def _norm(sentence: str) -> str:
    """'2. AWQ uses [3] Hessian!' -> 'awq uses hessian': markers, list heads and punctuation go."""
    return " ".join(_NON_WORD.sub(" ", _MARKER.sub(" ", sentence)).lower().split())


def _pieces(text: str) -> tuple[list[tuple[int, int]], bool]:
    """(start, end) of each sentence or line, covering the whole text (separators stay with the
    piece before them), and whether the last piece is finished."""
    spans, start = [], 0
    for m in _END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans, start == len(text)


def _complete_sentences(text: str) -> list[str]:
    spans, finished = _pieces(text)
    return [_norm(text[a:b]) for a, b in (spans if finished else spans[:-1])]


def _tail_period(text: str) -> int:
    """Length of a piece that ``text`` ends with ``LOOP_COPIES`` times in a row (0 if none)."""
    for p in range(MIN_PERIOD, min(MAX_PERIOD, len(text) // LOOP_COPIES) + 1):
        unit = text[-p:]
        if text.endswith(unit * LOOP_COPIES) and _LETTERS.search(unit):
            return p
    return 0


def looping(text: str) -> bool:
    """True when the text so far repeats itself: a sentence's third copy, or a thrice-repeated tail."""
    counts = Counter(s for s in _complete_sentences(text) if len(s) >= MIN_SENTENCE)
    if counts and max(counts.values()) >= LOOP_COPIES:
        return True
    return _tail_period(text) > 0


def drop_repeats(text: str) -> str:
    """The text with every repeated sentence (of >= MIN_SENTENCE characters) kept once, a repeated
    tail kept once, and an unfinished last sentence dropped when it only starts another copy."""
    p = _tail_period(text)
    if p:
        unit = text[-p:]
        while text.endswith(unit * 2):
            text = text[:-p]
    spans, finished = _pieces(text)
    seen: set[str] = set()
    kept = []
    for i, (a, b) in enumerate(spans):
        key = _norm(text[a:b])
        if len(key) >= MIN_SENTENCE and key in seen:
            continue
        if i == len(spans) - 1 and not finished and key and any(k.startswith(key) for k in seen):
            continue
        seen.add(key)
        kept.append(text[a:b])
    return "".join(kept).rstrip()
