"""Checks on the model's explanation against the notes it explains (pure, no model).

The explanation is shown under the notes, uncited; a sentence that gets a fact the small model is
known to get wrong is removed and the answer says so. Each check is switchable so the answers eval
can measure it on the test split (``tutor eval --suite answers`` reports what each one removed):

- ``numbers``: the sentence states a number the notes never give (the explain prompt forbids new
  numbers; a 1.5B model invents or mis-reads them, e.g. a flattened table's row);
- ``comparison``: the question compares rivals and the sentence credits one of them with a term
  the notes only state of another (``tutor.crosscheck.mixups``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from tutor.crosscheck import mixups
from tutor.notes import sentences
from tutor.types import Removed

Check = Literal["numbers", "comparison"]
CHECKS: tuple[Check, ...] = ("numbers", "comparison")

# a number: '8', '2.5', '4,5', '10^4'; list markers ('1)', '2.') and years in a range are numbers too
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?")
_LIST_HEAD = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def numbers(text: str) -> set[str]:
    """'2–10x, 4,5 GB and 1.5B' -> {'2', '10', '4.5', '1.5'}."""
    return {m.group(0).replace(",", ".") for m in _NUMBER.finditer(text)}


def new_numbers(sentence: str, notes: str) -> list[str]:
    """Numbers of ``sentence`` that the notes never write (a list marker does not count)."""
    known = numbers(notes)
    return sorted(numbers(_LIST_HEAD.sub("", sentence)) - known)


def check_explanation(text: str, notes: Sequence[str], question: str,
                      checks: Sequence[Check] = CHECKS) -> tuple[str, list[Removed]]:
    """(the explanation without the sentences a check rejects, what was removed and why).
    ``notes``: the texts the explanation explains (the notes part and the sources)."""
    joined = "\n".join([*notes, question])  # a number the question gives is not invented
    kept: list[str] = []
    removed: list[Removed] = []
    numbered = [(i + 1, t) for i, t in enumerate(notes)]
    for line in text.splitlines():
        out_line = []
        for sent in sentences(line) if line.strip() else []:
            why = _reject(sent, joined, numbered, question, checks)
            if why is None:
                out_line.append(sent)
            else:
                removed.append(why)
        kept.append(" ".join(out_line) if line.strip() else "")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip(), removed


def _reject(sent: str, joined: str, numbered: list[tuple[int, str]], question: str,
            checks: Sequence[Check]) -> Removed | None:
    if "numbers" in checks and (extra := new_numbers(sent, joined)):
        return Removed(sentence=sent, check="numbers", detail=", ".join(extra))
    if "comparison" in checks and (found := mixups(sent, question, numbered)):
        m = found[0]
        return Removed(sentence=sent, check="comparison",
                       detail=f"{m.term}: the notes say it of {m.notes_tie_to}, not {m.said_of}")
    return None
