"""Checks on the model's explanation against the notes it explains (pure, no model).

The explanation is shown under the notes, uncited; a sentence that gets a fact the small model is
known to get wrong is removed and the answer says so. Each check is switchable so the answers eval
can measure it on the test split (``tutor eval --suite answers`` reports what each one removed):

- ``numbers``: the sentence states a number the notes never give (the explain prompt forbids new
  numbers; a 1.5B model invents or mis-reads them, e.g. a flattened table's row);
- ``comparison``: the question compares rivals and the sentence credits one of them with a term
  the notes only state of another (``tutor.answering.crosscheck.mixups``);
- ``expansion``: the sentence spells out an abbreviation ('CoD (Chain of Thought)', 'TIES stands for
  ...' is not caught) other than the notes do ('CoD (Chain-of-Draft)').
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from tutor.answering.crosscheck import mixups
from tutor.core.types import Removed
from tutor.text.numbers import new_numbers
from tutor.text.sentences import sentences

Check = Literal["numbers", "comparison", "expansion"]
CHECKS: tuple[Check, ...] = ("numbers", "comparison", "expansion")

_ABBR = r"[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9-]*"
_WORDS = r"[A-Za-z][A-Za-z ,-]{3,80}?"
_ABBR_FIRST = re.compile(rf"\b({_ABBR})\s*\(({_WORDS})\)")
_WORDS_FIRST = re.compile(rf"\b({_WORDS})\s*\(({_ABBR})\)")


def _norm(words: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", words.lower()).split())


_SMALL = frozenset({"of", "and", "the", "for", "with", "a", "an", "to", "in", "on"})


def acronym(abbr: str, words: str, *, from_end: bool = False) -> str | None:
    """``words`` normalised when they spell out ``abbr`` (their initials hold its capitals, the first
    one first), else None: ('CoD', 'Chain-of-Draft') -> 'chain of draft'; ('AUs', 'dimensions') -> None.
    ``from_end``: the expansion is the shortest tail of ``words`` that starts with the first capital."""
    caps = [c.lower() for c in abbr if c.isupper()]
    parts = _norm(words).split()
    if not caps or not parts:
        return None
    if from_end:
        starts = [i for i, w in enumerate(parts) if w[0] == caps[0]]
        if not starts:
            return None
        parts = parts[starts[-1]:]
    initials = [w[0] for w in parts if w not in _SMALL]
    if len(initials) < 2 or initials[0] != caps[0] or not set(caps) <= set(initials):
        return None
    return " ".join(parts)


def expansions(text: str, *, strict: bool = True) -> dict[str, set[str]]:
    """Abbreviation -> the expansions written beside it: 'CoD (Chain-of-Draft)', 'Low-Rank Adaptation
    (LoRA)' -> {'cod': {'chain of draft'}, 'lora': {'low rank adaptation'}} (Latin script only; a
    gloss such as 'AUs (dimensions)' is no expansion). ``strict=False``: any two or more words in the
    bracket after an abbreviation count (what a sentence claims, right or wrong)."""
    out: dict[str, set[str]] = {}
    for m in _ABBR_FIRST.finditer(text):
        loose = _norm(m.group(2)) if not strict and len(m.group(2).split()) >= 2 else None
        if (exp := acronym(m.group(1), m.group(2)) or loose) is not None:
            out.setdefault(m.group(1).lower(), set()).add(exp)
    for m in _WORDS_FIRST.finditer(text):
        if (exp := acronym(m.group(2), m.group(1), from_end=True)) is not None:
            out.setdefault(m.group(2).lower(), set()).add(exp)
    return out


def wrong_expansions(sentence: str, notes: str) -> list[str]:
    """Abbreviations the sentence expands otherwise than the notes do (the notes must expand it)."""
    theirs = expansions(notes)
    bad = []
    for abbr, mine in expansions(sentence, strict=False).items():
        known = theirs.get(abbr)
        if known and not mine & known:
            bad.append(abbr)
    return bad


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
    if "expansion" in checks and (wrong := wrong_expansions(sent, joined)):
        return Removed(sentence=sent, check="expansion", detail="the notes expand " + ", ".join(wrong) + " otherwise")
    if "comparison" in checks and (found := mixups(sent, question, numbered)):
        m = found[0]
        return Removed(sentence=sent, check="comparison",
                       detail=f"{m.term}: the notes say it of {m.notes_tie_to}, not {m.said_of}")
    return None
