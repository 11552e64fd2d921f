"""Pair each key point / red flag with the answer sentences closest to it. Pure: similarity is
lexical (shared word stems and terms) unless a vector function (the embedder) is given, which also
matches across languages (English key points, Russian answer)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from tutor.grading.checks import content_words, term_parts

VectorFn = Callable[[Sequence[str]], list[list[float]]]
MIN_COSINE = 0.45      # EmbeddingGemma document-document cosine below which a sentence is unrelated
SHORT = 60             # a best sentence shorter than this gets the runner-up appended


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
                  *, min_score: float = 0.2) -> list[str]:
    """For each target: its best sentence (plus the runner-up when the best is short); '' when no
    sentence reaches ``min_score`` (the point is then missed without asking the LLM)."""
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
    return out
