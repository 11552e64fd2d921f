"""Python turns the LLM's per-point verdicts into the 0-10 score. Pure, no heavy imports.

Rules (the LLM judges, Python counts):
* a verdict backed by a quote that is not in the answer is 'missed' (the quote is dropped);
* covered = 1, partly = 0.5, missed / contradicted = 0; base = 10 * sum / number of points;
* each contradicted point, red flag hit and factual error (all backed by a real quote) costs points;
* caps: off-topic answers <= OFF_TOPIC_CAP, a restated question <= COPY_CAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.grading.checks import content_words, overlap, quote_in_answer, term_parts
from tutor.grading.consistency import Conflict
from tutor.grading.schema import Judgement, PointJudgement, PointResult, Verdict

WEIGHT: dict[Verdict, float] = {"covered": 1.0, "partly": 0.5, "missed": 0.0, "contradicted": 0.0}
CONTRADICTION_PENALTY = 2.0
RED_FLAG_PENALTY = 1.5
ERROR_PENALTY = 1.5
MAX_PENALTY = 6.0
OFF_TOPIC_CAP = 2.0
COPY_CAP = 1.0


@dataclass
class Scored:
    score: float
    points: list[PointResult]
    red_flags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def verify_points(key_points: list[str], judgement: Judgement, answer: str,
                  banned: list[str] | None = None) -> list[PointResult]:
    """One PointResult per key point; missing or unsupported verdicts become 'missed'.

    ``banned`` are sentences that must not serve as evidence (e.g. instructions to the grader).
    """
    by_n: dict[int, PointJudgement] = {}
    for j in judgement.points:
        by_n.setdefault(j.n, j)
    out = []
    for n, point in enumerate(key_points, start=1):
        found = by_n.get(n)
        if found is None:
            out.append(PointResult(point=point, verdict="missed"))
            continue
        j = found
        quote = j.quote.strip()
        ok = (bool(quote) and quote_in_answer(quote, answer) and not _is_banned(quote, banned or [])
              and relevant(quote, point))
        if j.verdict == "missed" or not ok:
            out.append(PointResult(point=point, verdict="missed"))
        else:
            out.append(PointResult(point=point, verdict=j.verdict, evidence=quote))
    return out


def verify_red_flags(red_flags: list[str], judgement: Judgement, answer: str) -> list[str]:
    hit = []
    for j in judgement.red_flags:
        if 1 <= j.n <= len(red_flags) and quote_in_answer(j.quote, answer) and red_flags[j.n - 1] not in hit:
            hit.append(red_flags[j.n - 1])
    return hit


def verify_errors(judgement: Judgement, answer: str, points: list[PointResult]) -> list[str]:
    """Factual errors whose quote is in the answer and not already counted as a contradicted point."""
    seen = {p.evidence.lower() for p in points if p.verdict == "contradicted"}
    out = []
    for e in judgement.errors:
        q = e.quote.strip()
        if q and e.fix.strip() and quote_in_answer(q, answer) and q.lower() not in seen:
            seen.add(q.lower())
            out.append(f"«{q}» → {e.fix.strip()}")
    return out


def compute_score(points: list[PointResult], n_red_flags: int = 0, n_errors: int = 0,
                  *, off_topic: bool = False, copied: bool = False) -> float:
    """[covered, partly, missed] -> 5.0; penalties and caps applied; rounded to 0.1, within 0..10."""
    if not points:
        return 0.0
    base = 10.0 * sum(WEIGHT[p.verdict] for p in points) / len(points)
    n_contra = sum(p.verdict == "contradicted" for p in points)
    penalty = (CONTRADICTION_PENALTY * n_contra + RED_FLAG_PENALTY * n_red_flags
               + ERROR_PENALTY * n_errors)
    score = base - min(penalty, MAX_PENALTY)
    if off_topic:
        score = min(score, OFF_TOPIC_CAP)
    if copied:
        score = min(score, COPY_CAP)
    return round(max(0.0, min(10.0, score)), 1)


def apply_conflicts(points: list[PointResult], conflicts: list[Conflict]) -> list[PointResult]:
    """A point whose evidence contains a clause that contradicts the reference is 'contradicted'."""
    out = []
    for p in points:
        bad = p.verdict in ("covered", "partly") and any(
            overlap(c.clause, p.evidence) >= 0.6 for c in conflicts)
        out.append(p.model_copy(update={"verdict": "contradicted"}) if bad else p)
    return out


def score_judgement(key_points: list[str], red_flags: list[str], judgement: Judgement, answer: str,
                    *, off_topic: bool = False, copied: bool = False,
                    banned: list[str] | None = None, conflicts: list[Conflict] | None = None) -> Scored:
    points = apply_conflicts(verify_points(key_points, judgement, answer, banned), conflicts or [])
    hit = verify_red_flags(red_flags, judgement, answer)
    errors = verify_errors(judgement, answer, points)
    covered_by_points = [p.evidence for p in points if p.verdict == "contradicted"]
    errors += [c.describe() for c in conflicts or []
               if not any(overlap(c.clause, e) >= 0.6 for e in covered_by_points)]
    flags = (["off_topic"] if off_topic else []) + (["copied_question"] if copied else [])
    score = compute_score(points, len(hit), len(errors), off_topic=off_topic, copied=copied)
    return Scored(score=score, points=points, red_flags=hit, errors=errors, flags=flags)


def relevant(quote: str, point: str) -> bool:
    """Evidence must share at least one content word or term with the key point it supports
    ('the answer covers every point' supports nothing)."""
    pw = {w[:5] for w in content_words(point) | term_parts(point) if len(w) >= 3}
    qw = {w[:5] for w in content_words(quote) | term_parts(quote) if len(w) >= 3}
    return any(a.startswith(b) or b.startswith(a) for a in pw for b in qw)


def _is_banned(quote: str, banned: list[str]) -> bool:
    return any(quote_in_answer(quote, b) for b in banned)
