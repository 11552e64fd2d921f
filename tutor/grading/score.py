"""Python turns the LLM's per-point verdicts into the 0-10 score. Pure, no heavy imports.

The LLM cites answer sentences by number; Python checks every citation:
* a verdict citing no sentence, a sentence that does not exist, or one that shares no word or term
  with the key point is 'missed' (the evidence is dropped);
* covered = 1, partly = 0.5, missed / contradicted = 0; base = 10 * sum / number of points;
* contradicted points, red flags and false sentences (LLM-flagged or found by the deterministic
  conflict check) cost points; caps: off-topic answers <= OFF_TOPIC_CAP, a restated question <= COPY_CAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.grading.checks import content_words, overlap, term_parts
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


def relevant(quote: str, point: str) -> bool:
    """Evidence must share at least one word stem or term with the key point it supports
    ('the answer covers every point' supports nothing)."""
    pw = {w[:5] for w in content_words(point) | term_parts(point) if len(w) >= 3}
    qw = {w[:5] for w in content_words(quote) | term_parts(quote) if len(w) >= 3}
    return any(a.startswith(b) or b.startswith(a) for a in pw for b in qw)


def sentence(sents: list[str], s: int) -> str:
    """1-based sentence lookup; '' for 0 or an out-of-range number."""
    return sents[s - 1] if 1 <= s <= len(sents) else ""


def verify_points(key_points: list[str], judgement: Judgement, sents: list[str]) -> list[PointResult]:
    """One PointResult per key point; missing or unsupported verdicts become 'missed'."""
    by_n: dict[int, PointJudgement] = {}
    for j in judgement.points:
        by_n.setdefault(j.n, j)
    out = []
    for n, point in enumerate(key_points, start=1):
        found = by_n.get(n)
        quote = sentence(sents, found.s) if found else ""
        if found is None or found.verdict == "missed" or not quote or not relevant(quote, point):
            out.append(PointResult(point=point, verdict="missed"))
        else:
            out.append(PointResult(point=point, verdict=found.verdict, evidence=quote))
    return out


def verify_red_flags(red_flags: list[str], judgement: Judgement, sents: list[str]) -> list[str]:
    hit: list[str] = []
    for j in judgement.red_flags:
        quote = sentence(sents, j.s)
        if 1 <= j.n <= len(red_flags) and quote and relevant(quote, red_flags[j.n - 1]):
            flag = red_flags[j.n - 1]
            hit += [] if flag in hit else [flag]
    return hit


def mark_contradictions(points: list[PointResult], false_sentences: list[str]) -> list[PointResult]:
    """A covered/partly point whose evidence is a false sentence is 'contradicted'."""
    out = []
    for p in points:
        bad = p.verdict in ("covered", "partly") and any(overlap(f, p.evidence) >= 0.6 for f in false_sentences)
        out.append(p.model_copy(update={"verdict": "contradicted"}) if bad else p)
    return out


def compute_score(points: list[PointResult], n_red_flags: int = 0, n_errors: int = 0,
                  *, off_topic: bool = False, copied: bool = False) -> float:
    """[covered, partly, missed] -> 5.0; penalties and caps applied; rounded to 0.1, within 0..10."""
    if not points:
        return 0.0
    base = 10.0 * sum(WEIGHT[p.verdict] for p in points) / len(points)
    n_contra = sum(p.verdict == "contradicted" for p in points)
    penalty = CONTRADICTION_PENALTY * n_contra + RED_FLAG_PENALTY * n_red_flags + ERROR_PENALTY * n_errors
    score = base - min(penalty, MAX_PENALTY)
    if off_topic:
        score = min(score, OFF_TOPIC_CAP)
    if copied:
        score = min(score, COPY_CAP)
    return round(max(0.0, min(10.0, score)), 1)


def score_judgement(key_points: list[str], red_flags: list[str], judgement: Judgement, sents: list[str],
                    *, off_topic: bool = False, copied: bool = False,
                    conflicts: list[Conflict] | None = None) -> Scored:
    """Verify the LLM's citations, merge in deterministic conflicts, compute the score."""
    conflicts = conflicts or []
    llm_false = [q for q in dict.fromkeys(sentence(sents, s) for s in judgement.wrong) if q]
    false_sentences = llm_false + [c.clause for c in conflicts]
    points = mark_contradictions(verify_points(key_points, judgement, sents), false_sentences)
    hit = verify_red_flags(red_flags, judgement, sents)
    contradicted = [p.evidence for p in points if p.verdict == "contradicted"]
    errors = [c.describe() for c in conflicts] + [f"«{q}»" for q in llm_false]
    extra = [e for e in false_sentences if not any(overlap(e, c) >= 0.6 for c in contradicted)]
    flags = (["off_topic"] if off_topic else []) + (["copied_question"] if copied else [])
    score = compute_score(points, len(hit), len(extra), off_topic=off_topic, copied=copied)
    return Scored(score=score, points=points, red_flags=hit, errors=errors, flags=flags)
