"""Python turns the per-point readings into the 0-10 score. Pure, no heavy imports.

Two numbers, the lower wins:
* **clarity** — the judge's average lead of "right" over "wrong" across the rubric's key points
  (a point with no evidence counts 0, a contradicted one counts negative), on a logistic curve:
  ``10 / (1 + exp(-(lead - MID) / SCALE))``. Casual or terse answers that the 1.5B judge reads with a
  small but steady lead still score high; an answer whose readings lean wrong scores low.
* **coverage** — ``10 x covered / (FULL_AT x key points)``: the score never says more than the card's
  verdicts show (a partial answer that states two points very clearly is still a partial answer).

A point with no check question (a structure rubric) counts 1 when covered, 0 otherwise. An answer
that states numbers the notes never give for the question (``unverified``: tutor.text.numbers) counts
one more key point, contradicted (lead -1, not covered) — one however many such sentences.

Set on the tune split of the grading protocol (125 answers, 25 bank questions) by replaying the
stored readings (``python -m evals.run_grading --replay reports/<tune run>/report.json``); the
test split was read once with them (docs/grading.md). Against the previous formula (covered minus
half a point per contradiction, ``10 x sum / points``) on tune: pair order 0.900 -> 0.928, strong >= 7
82% -> 90%, wrong <= 3 80% -> 88%, partial answers scored >= 8: 4% -> 12%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tutor.grading.schema import PointResult
from tutor.grading.thresholds import GRADING


def lead(p: PointResult) -> float:
    """P(right) - P(wrong) from the point's reading; a point the judge never read: 1 if covered."""
    if p.probe and "right" in p.probe and "wrong" in p.probe:
        return float(p.probe["right"]) - float(p.probe["wrong"])
    return 1.0 if p.verdict == "covered" else 0.0


def compute_score(points: Sequence[PointResult], *, unverified: bool = False, mid: float = GRADING.score_mid,
                  scale: float = GRADING.score_scale, full_at: float = GRADING.full_at) -> float:
    """Leads [0.6, 0.5, 0.4, 0.0] with 3 of 4 covered -> min(10 x σ((0.375 - 0.15) / 0.06), 10 x 0.75 / 0.8)
    = min(10.0, 9.4) = 9.4; with ``unverified``: leads [0.6, 0.5, 0.4, 0.0, -1], 3 of 5 covered ->
    min(10 x σ((0.1 - 0.15) / 0.06), 10 x 0.6 / 0.8) = 3.0."""
    if not points:
        raise ValueError("no key points to score")
    n = len(points) + (1 if unverified else 0)
    mean_lead = (sum(lead(p) for p in points) - (1.0 if unverified else 0.0)) / n
    clarity = 10.0 / (1.0 + math.exp(-(mean_lead - mid) / scale))
    coverage = 10.0 * sum(p.verdict == "covered" for p in points) / (full_at * n)
    return round(max(0.0, min(10.0, clarity, coverage)), 1)
