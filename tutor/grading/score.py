"""Python turns per-point verdicts into the 0-10 score. Pure, no heavy imports.

covered = 1, missed = 0, contradicted = -CONTRADICTION (a confidently wrong statement costs more
than silence); score = 10 x max(0, sum) / number of key points, rounded to 0.1.
"""

from __future__ import annotations

from tutor.grading.schema import PointResult, Verdict

# What a contradicted point costs beside the point itself: 0.5 vs 1.0 replayed on the tune split
# (docs/grading.md); 0.5 kept.
CONTRADICTION = 0.5
WEIGHT: dict[Verdict, float] = {"covered": 1.0, "partly": 0.5, "missed": 0.0, "contradicted": -CONTRADICTION}


def compute_score(points: list[PointResult]) -> float:
    """[covered, covered, missed, contradicted] -> 10 x (2 - 0.5) / 4 = 3.8."""
    if not points:
        raise ValueError("no key points to score")
    total = sum(WEIGHT[p.verdict] for p in points)
    return round(max(0.0, min(10.0, 10.0 * total / len(points))), 1)
