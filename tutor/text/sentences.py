"""The one sentence splitter: notes, model explanations and candidates' answers alike.

A sentence ends at '.', '!', '?' or '…' followed by a space (whatever the next word's case: people
type in lower case), or at a line break. Not after a common abbreviation ('e.g.', 'vs.', 'т.е.',
'см.'). A list number goes with its item, not with the sentence before it.

    >>> sentences("A. B\\nC")
    ['A.', 'B', 'C']
    >>> sentences("Steps: 1. Draft. 2. Verify.")
    ['Steps:', '1. Draft.', '2. Verify.']
    >>> sentences("It has 2. Then")
    ['It has 2.', 'Then']
    >>> sentences("ну сделал hybrid. потом RRF, т.е. слияние, см. выше")
    ['ну сделал hybrid.', 'потом RRF, т.е. слияние, см. выше']
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?…])[ \t\r\f\v]+(?=\S)|\s*\n\s*")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(«\"])(?:e\.g|i\.e|etc|vs|cf|approx|incl|т\.\s?е|т\.\s?к|т\.\s?д|т\.\s?п|др|напр|см|рис|стр|ср|англ)\.$",
    re.IGNORECASE)
_SEMICOLON = re.compile(r"(?<=;)\s+")
_LIST_NUMBER = re.compile(r"(?:^|(?<=\s))\d{1,2}[.)]$")
_ITEM_NUMBER = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s")


def _pieces(text: str) -> list[str]:
    """Cut at every boundary but after an abbreviation (a line break always cuts)."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[start:m.start()]
        if "\n" not in m.group(0) and _ABBREVIATION.search(piece):
            continue
        out.append(piece)
        start = m.end()
    out.append(text[start:])
    return [p.strip() for p in out]


def sentences(text: str, *, semicolons: bool = False) -> list[str]:
    """The sentences and lines of ``text``, verbatim (stripped), in order; no empty ones.
    ``semicolons``: also cut after '; ' (a candidate's answer lists its steps that way; the notes'
    sentences are quoted whole): sentences("A; B. C", semicolons=True) -> ['A;', 'B.', 'C']."""
    listed = {int(n) for n in _ITEM_NUMBER.findall(text)}
    out: list[str] = []
    carry = ""
    for piece in _pieces(text):
        if not piece:
            continue
        piece = f"{carry} {piece}" if carry else piece
        carry = ""
        m = _LIST_NUMBER.search(piece)
        if m and (piece[:m.start()].rstrip().endswith(":") or not piece[:m.start()].strip()
                  or ({int(m.group(0)[:-1]) - 1, int(m.group(0)[:-1]) + 1} & listed)):
            carry, piece = m.group(0), piece[:m.start()].strip()
        if piece:
            out.extend(_SEMICOLON.split(piece) if semicolons else [piece])
    if carry:
        out.append(carry)
    return out
