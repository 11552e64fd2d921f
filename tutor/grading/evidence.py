"""Pair each key point / red flag with the answer sentences closest to it. Pure: similarity is
lexical (shared word stems and terms) unless a vector function (the embedder) is given, which also
matches across languages (English key points, Russian answer)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from tutor.grading.checks import content_words, term_parts

VectorFn = Callable[[Sequence[str]], list[list[float]]]
MIN_COSINE = 0.45      # EmbeddingGemma document-document cosine below which a sentence is unrelated
SHORT = 60             # a best sentence shorter than this gets the runner-up appended
MIN_PART_WORDS = 3     # a clause shorter than this is no evidence on its own
CLAUSE_MIN = 0.6       # a clause is evidence only when close (cosine >= 0.60): a short clause matches
                       # a point by topic alone more easily than a sentence does (docs/grading.md)
_PART = re.compile(r",\s+|:\s+|;\s+|\s+[—–]\s+")


def memo_vectors(vectors: VectorFn) -> VectorFn:
    """``vectors`` that embeds each distinct text once over the wrapper's life (one grade): the
    same answer sentences are compared with key points, red flags and clauses."""
    seen: dict[str, list[float]] = {}

    def cached(texts: Sequence[str]) -> list[list[float]]:
        new = list(dict.fromkeys(t for t in texts if t not in seen))
        if new:
            seen.update(zip(new, vectors(new), strict=True))
        return [seen[t] for t in texts]

    return cached


def stems(text: str) -> set[str]:
    return {w[:5] for w in content_words(text) | term_parts(text) if len(w) >= 3}


def lexical(a: str, b: str) -> float:
    """Share of a's stems found (as prefixes) in b: 'KV cache stores keys' vs 'keys in cache' -> 0.5."""
    sa, sb = stems(a), stems(b)
    if not sa:
        return 0.0
    return sum(any(x.startswith(y) or y.startswith(x) for y in sb) for x in sa) / len(sa)


def _cos(a: list[float], b: list[float]) -> float:
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(x * x for x in b)) or 1.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def scaled_cosine(a: list[float], b: list[float]) -> float:
    """Cosine mapped to 0..1: <= MIN_COSINE -> 0, >= MIN_COSINE + 0.25 -> 1, linear between."""
    return min(1.0, max(0.0, (_cos(a, b) - MIN_COSINE) / 0.25))


def similarity_matrix(targets: list[str], sents: list[str], vectors: VectorFn | None) -> list[list[float]]:
    """rows = targets, cols = sentences: the lexical score, or the larger of it and the scaled cosine."""
    lex = [[lexical(t, s) for s in sents] for t in targets]
    if vectors is None or not targets or not sents:
        return lex
    vecs = vectors([*targets, *sents])
    tv, sv = vecs[: len(targets)], vecs[len(targets):]
    return [[max(lex[i][j], scaled_cosine(tv[i], sv[j])) for j in range(len(sents))]
            for i in range(len(targets))]


def pick_evidence(targets: list[str], sents: list[str], vectors: VectorFn | None = None,
                  *, min_score: float = 0.2, clauses: bool = False) -> list[str]:
    """For each target: its best sentence (plus the runner-up when the best is short); '' when no
    sentence reaches ``min_score`` (the point is then missed without asking the LLM). With
    ``clauses`` and vectors, a target no sentence reaches gets its best clause if that scores
    CLAUSE_MIN: a sentence listing three advantages is far from each one ('лучше extrapolation на
    длины больше обучающих' is one clause of it)."""
    matrix = similarity_matrix(targets, sents, vectors)
    out = []
    for row in matrix:
        order = sorted(range(len(sents)), key=lambda j: -row[j])
        if not order or row[order[0]] < min_score:
            out.append("")
            continue
        best = [order[0]]
        if len(sents[order[0]]) < SHORT and len(order) > 1 and row[order[1]] >= min_score:
            best.append(order[1])
        out.append(" ".join(sents[j] for j in sorted(best)))
    if clauses and vectors is not None and "" in out:
        _fill_from_clauses(out, targets, sents, vectors, max(min_score, CLAUSE_MIN))
    return out


def clause_parts(sentence: str) -> list[str]:
    """'Плюсы: A, лучше B, и нет C — D.' -> ['Плюсы', 'A', 'лучше B', 'и нет C', 'D.'] minus parts
    of fewer than MIN_PART_WORDS words; [] when the sentence has a single part."""
    parts = [p.strip() for p in _PART.split(sentence) if p.strip()]
    return [p for p in parts if len(p.split()) >= MIN_PART_WORDS] if len(parts) > 1 else []


def _fill_from_clauses(out: list[str], targets: list[str], sents: list[str], vectors: VectorFn,
                       min_score: float) -> None:
    parts = [p for s in sents for p in clause_parts(s)]
    missing = [i for i, e in enumerate(out) if not e]
    if not parts:
        return
    rows = similarity_matrix([targets[i] for i in missing], parts, vectors)
    for i, row in zip(missing, rows, strict=True):
        j = max(range(len(parts)), key=row.__getitem__)
        if row[j] >= min_score:
            out[i] = parts[j]
