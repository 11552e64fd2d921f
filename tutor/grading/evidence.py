"""Evidence by meaning: for each key point, the candidate's sentences that speak to it, found with
the multilingual embedder (an English answer to a Russian rubric works the same way). Pure: the
vector function is passed in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tutor.grading.thresholds import GRADING
from tutor.text.sentences import sentences

VectorFn = Callable[[Sequence[str]], list[list[float]]]


@dataclass(frozen=True)
class Evidence:
    text: str      # the answer's sentences for this point, in answer order ('' = none close enough)
    cosine: float  # the best sentence's cosine with the point


def memo_vectors(vectors: VectorFn) -> VectorFn:
    """``vectors`` that embeds each distinct text once over the wrapper's life (one grade)."""
    seen: dict[str, list[float]] = {}

    def cached(texts: Sequence[str]) -> list[list[float]]:
        new = list(dict.fromkeys(t for t in texts if t not in seen))
        if new:
            seen.update(zip(new, vectors(new), strict=True))
        return [seen[t] for t in texts]

    return cached


def answer_units(text: str) -> list[str]:
    """The answer's sentences, plus the clauses of long ones (a sentence listing three advantages
    is far from each of them). 'A. B, c d e.' -> ['A.', 'B, c d e.']"""
    units: list[str] = []
    for s in sentences(text, semicolons=True):
        units.append(s)
        if len(s.split()) > GRADING.long_sentence_words:
            units.extend(p.strip() for p in s.replace(";", ",").split(",") if len(p.split()) >= 4)
    return list(dict.fromkeys(u for u in units if u.strip()))


def pick_evidence(points: list[str], answer: str, vectors: VectorFn, *, min_cosine: float = GRADING.evidence_min,
                  top: int = GRADING.evidence_top) -> list[Evidence]:
    """For each point: its ``top`` closest answer units (cosine) — the whole answer when it is at most
    ``whole_chars`` long —, '' when the best unit is under ``min_cosine`` (the point is not addressed)."""
    units = answer_units(answer)
    if not points:
        return []
    if not units:
        return [Evidence("", 0.0) for _ in points]
    vecs = np.asarray(vectors([*points, *units]), dtype=np.float32)
    # The dot product the thresholds were set on (document vectors come out of bf16 with a norm within
    # ~0.3% of 1); full cosines (tutor.text.similarity.cosines) would move 2 of 1,260 evidence picks
    # on the grading set (checked 2026-12-07), so evidence_min must be re-set before switching.
    sims = vecs[: len(points)] @ vecs[len(points):].T
    out = []
    for row in sims:
        order = np.argsort(-row)[:top]
        best = float(row[order[0]])
        if best < min_cosine:
            out.append(Evidence("", best))
            continue
        if len(answer) <= GRADING.whole_chars:
            out.append(Evidence(answer.strip(), best))
            continue
        keep = sorted(int(j) for j in order if row[j] >= min_cosine)
        text = " ".join(units[j] for j in keep)
        out.append(Evidence(text[:GRADING.evidence_max_chars], best))
    return out
