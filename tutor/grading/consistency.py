"""Deterministic contradiction finder: answer clauses that reuse a reference statement's wording but
swap its technical term, number or negation ('WordPiece merges the most frequent pairs' when the
reference says BPE does). Pure, no heavy imports.

Each answer clause is matched to the reference clause sharing most of its ordinary words (terms and
numbers excluded). A match that replaces one of the reference clause's terms by another term the
reference uses elsewhere, states a different number, or flips a negation is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.grading.checks import content_words, latin_terms, numbers, term_parts

_CLAUSE = re.compile(r"(?<=[.!?;\n])\s+|,\s+(?:а|но|while|whereas|but)\s+|\s+а\s+")
_NEG = re.compile(r"\b(?:не|нет|без|never|not|no|without)\s+(\w+)(?:\s+(\w+))?", re.IGNORECASE)
_WORDS = re.compile(r"\w+")
MIN_SHARED = 2
MIN_OVERLAP = 0.45


@dataclass(frozen=True)
class Conflict:
    clause: str      # words from the answer
    reference: str   # the reference clause it conflicts with
    kind: str        # "term" | "number" | "negation" (here); contradictions adds "comparison", "unit",
                     # "entity", "antonym", "swap", "subject", "denial", "red_flag"; grader: "llm", "mixup"

    def describe(self) -> str:
        return f"«{self.clause}» ↔ «{self.reference}»"


def clauses(text: str) -> list[str]:
    """'A делает X, а B делает Y. C.' -> ['A делает X', 'B делает Y.', 'C.']"""
    return [c.strip(" ,") for c in _CLAUSE.split(text) if c and len(c.strip()) > 3]


def _plain(text: str) -> set[str]:
    """Content words that are neither technical terms nor numbers."""
    terms = {t[:6] for t in latin_terms(text)}
    return {w for w in content_words(text) if w not in terms and not any(ch.isdigit() for ch in w)}


def _best_match(clause: str, ref_clauses: list[str]) -> tuple[str, float]:
    words = _plain(clause)
    best, best_score = "", 0.0
    for ref in ref_clauses:
        shared = len(words & _plain(ref))
        if shared < MIN_SHARED:
            continue
        score = shared / max(1, min(len(words), len(_plain(ref))))
        if score > best_score:
            best, best_score = ref, score
    return best, best_score


def _conflict(clause: str, ref: str, rivals: set[str], salient: set[str]) -> str:
    a_terms, r_terms = term_parts(clause), term_parts(ref)
    missing = (r_terms - a_terms) & salient
    foreign = (a_terms - r_terms) & rivals - _acronyms(ref)
    if foreign and missing:
        return "term"
    a_num, r_num = numbers(clause), numbers(ref)
    if a_num and r_num and not (a_num & r_num):
        return "number"
    if _negation_flip(clause, ref) or _negation_flip(ref, clause):
        return "negation"
    return ""


def _negated(text: str) -> set[str]:
    """Stems of the (up to two) words after each negation: 'нет проблем с overflow' -> {'пробле', 'с'}."""
    return {w.lower()[:6] for m in _NEG.finditer(text) for w in m.groups() if w}


def _negation_flip(a: str, b: str) -> bool:
    """A word negated in ``a`` ('без переобучения') occurs in ``b``, which negates nothing
    ('требуют переобучения')."""
    if _NEG.search(b):
        return False  # both sides negate something: too ambiguous for a word-level check
    return bool(_negated(a) & {w.lower()[:6] for w in _WORDS.findall(b)})


def _acronyms(text: str) -> set[str]:
    """Initials of runs of 2-5 consecutive Latin words: 'Key-Value cache' -> {'kv', 'kvc', 'vc'}."""
    ws = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text)]
    return {"".join(w[0] for w in ws[i:j]) for i in range(len(ws)) for j in range(i + 2, min(i + 6, len(ws) + 1))}


def find_conflicts(answer: str, reference: str, salient_text: str = "") -> list[Conflict]:
    """Answer clauses that contradict the reference by a swapped term / number / negation.

    ``salient_text`` (question + key points) names the terms that matter: a swap counts only when
    the term the answer uses occurs there and in the reference (a rival), and the term it replaces
    occurs there too.
    """
    ref_clauses = clauses(reference)
    salient = term_parts(salient_text) or term_parts(reference)
    rivals = salient & term_parts(reference)
    out: list[Conflict] = []
    for clause in clauses(answer):
        ref, score = _best_match(clause, ref_clauses)
        if not ref or score < MIN_OVERLAP:
            continue
        kind = _conflict(clause, ref, rivals, salient)
        if kind == "negation" and score < 0.6:
            continue
        if kind:
            out.append(Conflict(clause=clause, reference=ref, kind=kind))
    return out
