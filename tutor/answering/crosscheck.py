"""Mixed-up comparisons in a generated answer (pure, no model): the question names rivals
('Чем GPTQ отличается от AWQ?') and a part of the answer credits one of them with a technical term
that the retrieved notes only ever state next to another rival.

    answer  'GPTQ отличается от AWQ тем, что AWQ использует информацию второго порядка (Hessian).'
    notes   [3] 'Q: GPTQ — как работает? ... second-order information (Hessian) ...'  (no AWQ there)
    -> Mixup(term='Hessian', said_of='AWQ', notes_tie_to='GPTQ', source=3)

Built for precision, since a false warning teaches the wrong thing too:
- the answer is cut into sentences and those at ',' and ';' into parts; only a part
  naming exactly one rival and no negation is checked ('AWQ не использует Hessian' is left alone);
- a term is technical by its shape (digit, inner capital, hyphen, all caps, a capitalised word
  not opening an English sentence; plain lowercase words such as 'models' never), is not in the
  question and is no rival's name or part of one;
- it is a mix-up only when every source line holding the term speaks of another rival and none of
  the rival the answer credits (a line naming no rival speaks of the rivals its chunk names, so a
  comparison table's row speaks of both and never counts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutor.core.types import Mixup
from tutor.text.language import detect_lang
from tutor.text.sentences import sentences

NEGATIONS = frozenset(("не", "нет", "без", "not", "no", "without", "never", "ни"))
_PART = re.compile(r"[,;]\s+|\(\d\)")  # not at ':' or ' — ': 'AWQ — activation-aware' keeps its subject
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+]*(?:-[A-Za-z0-9+]+)*")
_NEGATION = re.compile(rf"\b(?:{'|'.join(sorted(NEGATIONS | {'neither', 'nor'}))})\b|n't\b", re.IGNORECASE)
MIN_TERM = 3


def shaped(word: str, first: bool, russian: bool) -> bool:
    """'INT4', 'KV-cache', 'FlashAttention', 'GPTQ' -> True; 'uses', 'models' -> False; 'Hessian'
    -> True unless it opens an English sentence (in a Russian text a capital always counts)."""
    return (any(c.isdigit() for c in word) or "-" in word or any(c.isupper() for c in word[1:])
            or (word[0].isupper() and (russian or not first)))


def terms(text: str, *, russian: bool) -> list[str]:
    """Technical terms of one part, in order: 'AWQ uses the Hessian' -> ['AWQ', 'Hessian']."""
    out = []
    for i, m in enumerate(_LATIN.finditer(text)):
        w = m.group(0)
        if len(w) >= MIN_TERM and shaped(w, first=(i == 0 and m.start() == 0), russian=russian):
            out.append(w)
    return out


def rivals(question: str) -> list[str]:
    """The things compared: technical terms of the question, when there are at least two.
    'Чем GPTQ отличается от AWQ?' -> ['GPTQ', 'AWQ']; 'What is LoRA?' -> []."""
    found = list(dict.fromkeys(t for t in terms(question, russian=True) if _all_caps_or_mixed(t)))
    return found if len(found) >= 2 else []


def _all_caps_or_mixed(word: str) -> bool:
    return any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 2


def names(text: str, term: str) -> bool:
    """'GPTQ-for-LLaMa' names GPTQ; 'AutoGPTQ' does not."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", text, re.IGNORECASE) is not None


def parts(answer: str) -> list[str]:
    """'A делает X, а B — Y. C.' -> ['A делает X', 'а B — Y.', 'C.'] (cut at sentence ends, ',' and ';')."""
    return [p.strip() for s in sentences(answer) for p in _PART.split(s) if p and p.strip()]


def mixups(answer: str, question: str, sources: Sequence[tuple[int, str]]) -> list[Mixup]:
    """Mix-ups in ``answer`` given the numbered source texts it was written from."""
    ents = rivals(question)
    if not ents:
        return []
    russian = detect_lang(answer) == "ru"
    lines = [(n, unit, _owners(unit, text, ents)) for n, text in sources for unit in sentences(text)]
    out: list[Mixup] = []
    seen: set[tuple[str, str]] = set()
    for part in parts(re.sub(r"\s?\[\d+\]", "", answer)):
        named = [e for e in ents if names(part, e)]
        if len(named) != 1 or _NEGATION.search(part):
            continue
        said_of = named[0]
        for term in terms(part, russian=russian):
            if _excluded(term, ents, question) or (term.lower(), said_of) in seen:
                continue
            hit = _tie(term, said_of, ents, lines)
            if hit is not None:
                seen.add((term.lower(), said_of))
                tie, n, line = hit
                evidence = line if names(line, tie) else f"{tie}: {line}"
                out.append(Mixup(part=part, term=term, said_of=said_of, notes_tie_to=tie, source=n,
                                 evidence=evidence.strip()))
    return out


def _excluded(term: str, ents: list[str], question: str) -> bool:
    low = term.lower()
    return names(question, term) or any(low in e.lower() or e.lower() in low for e in ents)


def _owners(unit: str, chunk: str, ents: Sequence[str]) -> set[str]:
    """Rivals a source line speaks of: those it names, else those its whole chunk names."""
    return {e for e in ents if names(unit, e)} or {e for e in ents if names(chunk, e)}


def _tie(term: str, said_of: str, ents: list[str],
         lines: Sequence[tuple[int, str, set[str]]]) -> tuple[str, int, str] | None:
    """(other rival, source n, line) when every source line (n, text, rivals it speaks of) holding
    ``term`` speaks of another rival and none of ``said_of``; else None."""
    holding = [(n, unit, owners) for n, unit, owners in lines if names(unit, term)]
    if not holding or any(not owners or said_of in owners for _, _, owners in holding):
        return None
    n, line, owners = holding[0]
    return next(e for e in ents if e in owners), n, line
