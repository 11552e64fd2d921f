"""Small statistics used by the reports and the grader calibration (pure, no numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the defined values; None when there are none: [1, None, 0] -> 0.5."""
    xs = [v for v in values if v is not None and not math.isnan(v)]
    return sum(xs) / len(xs) if xs else None


def stdev(values: Sequence[float]) -> float:
    """Population standard deviation: [1, 3] -> 1.0; fewer than two values -> 0.0."""
    if len(values) < 2:
        return 0.0
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks with ties averaged: [10, 20, 20, 5] -> [2.0, 3.5, 3.5, 1.0]."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for t in range(i, j + 1):
            out[order[t]] = avg
        i = j + 1
    return out


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation; None if fewer than 2 points or a constant series."""
    if len(x) != len(y):
        raise ValueError(f"series differ in length: {len(x)} vs {len(y)}")
    if len(x) < 2:
        return None
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho = Pearson on tie-averaged ranks: ([1, 2, 3], [1, 3, 2]) -> 0.5."""
    return pearson(ranks(x), ranks(y))


def pairwise_accuracy(scores: Sequence[float], labels: Sequence[float]) -> float | None:
    """Share of pairs with different labels that the scores order the same way (score ties
    count half). ([0.9, 0.5, 0.1], [2, 1, 0]) -> 1.0; no pair with different labels -> None."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    good = total = 0.0
    for i in range(len(scores)):
        for j in range(i + 1, len(scores)):
            if labels[i] == labels[j]:
                continue
            total += 1
            d = (scores[i] - scores[j]) * (labels[i] - labels[j])
            good += 1.0 if d > 0 else 0.5 if scores[i] == scores[j] else 0.0
    return good / total if total else None
