"""Python turns the LLM's per-point verdicts into the 0-10 score. Pure, no heavy imports.

* Evidence is chosen by Python (``tutor.grading.evidence``): a point without evidence is 'missed'
  whatever the model says, so the model cannot credit text that is not in the answer;
* covered = 1, partly = 0.5, missed / contradicted = 0; base = 10 * sum / number of points; a
  'partly' whose evidence states every number and acronym of the point, or most of its words,
  counts as covered (the small judge under-credits exact paraphrases: 'потеря качества меньше 1%'
  for 'GQA: <1% loss'), and a 'covered' whose evidence states none of the point's numbers and
  acronyms counts as partly (it over-credits a generic sentence: 'повышает throughput' for
  '2-10x throughput improvement');
* contradicted points, red flags shown and deterministic conflicts (swapped term / number /
  negation against the reference) cost points; caps: off-topic <= OFF_TOPIC_CAP, copy <= COPY_CAP,
  any deterministic conflict <= CONFLICT_CAP (a confidently wrong statement is not a partial answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.grading import lexicon
from tutor.grading.checks import numbers, overlap
from tutor.grading.consistency import Conflict
from tutor.grading.contradictions import stems
from tutor.grading.quantities import variants
from tutor.grading.schema import Judgement, PointResult, Verdict

WEIGHT: dict[Verdict, float] = {"covered": 1.0, "partly": 0.5, "missed": 0.0, "contradicted": 0.0}
CONTRADICTION_PENALTY = 1.5
RED_FLAG_PENALTY = 1.5
ERROR_PENALTY = 1.5
MAX_PENALTY = 6.0
OFF_TOPIC_CAP = 2.0
COPY_CAP = 1.0
MIN_COVER_WORDS = 4  # evidence shorter than this can be 'partly' at most
RESTATE_SHARE = 0.7  # a 'partly' whose evidence holds this share of the point's words is covered
RESTATE_MIN_WORDS = 3
CONFLICT_CAP = 3.0   # the answer states something the reference contradicts (swapped term / number / negation)


@dataclass
class Scored:
    score: float
    points: list[PointResult]
    red_flags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def verify_points(key_points: list[str], judgement: Judgement, evidence: list[str]) -> list[PointResult]:
    """One PointResult per key point; no evidence or no verdict -> 'missed'."""
    verdicts: dict[int, Verdict] = {}
    for j in judgement.points:
        verdicts.setdefault(j.n, j.verdict)
    out = []
    for n, (point, ev) in enumerate(zip(key_points, evidence, strict=True), start=1):
        verdict = verdicts.get(n, "missed") if ev else "missed"
        if verdict == "covered" and len(ev.split()) < MIN_COVER_WORDS:
            verdict = "partly"  # a bare term ('Continuous batching.') names the topic, it explains nothing
        elif verdict == "partly" and (states_facts(point, ev) or restates(point, ev)):
            verdict = "covered"  # every number and acronym of the point, or its words, in the evidence
        elif verdict == "covered" and misses_facts(point, ev):
            verdict = "partly"  # the point's numbers / acronyms / versions: none is stated
        out.append(PointResult(point=point, verdict=verdict, evidence=ev if verdict != "missed" else ""))
    return out


_OMISSION = re.compile(
    r"(не\s+(упомина|зна|предлага|называ|объясня|говори|учитыва|различа|приводи)\w*|игнорир\w*|забыва\w*"
    r"|упуска\w*|omits?\b|ignores?\b|forgets?\b|does(n't| not)\s+(mention|know|propose|explain|consider)"
    r"|fails\s+to\s+mention|no\s+mention)", re.IGNORECASE)
_QUOTED = re.compile(r"«[^»]+»|“[^”]+”|\"[^\"]+\"")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")


def _facts(text: str) -> tuple[set[str], set[str], set[str]]:
    """Checkable facts: numbers, acronyms and versions. 'MQA: 1 K/V head, 8x less, FP16' ->
    ({'1', '8'}, {'MQA', 'FP16'}, {'fp16'})."""
    return numbers(text), set(_ACRONYM.findall(text)), variants(text)


def states_facts(point: str, evidence: str) -> bool:
    """The evidence states the point's checkable facts: the point has a number or a version and
    every number, acronym and version of it occurs in the evidence ('GQA: <1% loss' vs '... GQA ...
    потеря меньше 1%' -> True). A wrong number / swapped term is caught by the conflict checks,
    which override this."""
    nums, acr, ver = _facts(point)
    if not (nums or ver) or not evidence:
        return False
    e_nums, e_acr, e_ver = _facts(evidence)
    return nums <= e_nums and acr <= e_acr and ver <= e_ver


def restates(point: str, evidence: str) -> bool:
    """The evidence says the point in its words: >= RESTATE_SHARE of the point's word stems (at
    least RESTATE_MIN_WORDS of them) occur in it, and it adds no negation. 'Лучше дообучать на
    длинных примерах' vs 'Поэтому лучше дообучить (например, LoRA) на длинных примерах' -> True
    (the 1.5B judge said 'partly' for three near-verbatim points of a strong RoPE answer: 5.0).
    A restatement that swaps a term or number is caught by the conflict checks, which override this."""
    words = {w for w in stems(point) if not w[0].isdigit()}
    if len(words) < RESTATE_MIN_WORDS or _negations(evidence) > _negations(point):
        return False
    return len(words & stems(evidence)) / len(words) >= RESTATE_SHARE


def _negations(text: str) -> int:
    return sum(t in lexicon.NEGATIONS for t in lexicon.tokens(text))


def misses_facts(point: str, evidence: str) -> bool:
    """The point has checkable facts and the evidence states none of them ('2-10x throughput
    improvement' vs 'повышает throughput'): at most 'partly'."""
    facts = set().union(*_facts(point))
    return bool(facts) and not facts & set().union(*_facts(evidence))


def verify_red_flags(red_flags: list[str], judgement: Judgement, evidence: list[str]) -> list[str]:
    """Red flags the LLM says the evidence shows, except the ones it cannot judge from a quote:
    an omission ('Не упоминает X', 'Omits X': the missed key point already costs the points) and a
    quoted phrase («новый вид внимания»: Python checks the words, ``quoted_red_flags``)."""
    shown = {j.n for j in judgement.red_flags if j.shown}
    return [f for n, (f, ev) in enumerate(zip(red_flags, evidence, strict=True), start=1)
            if ev and n in shown and not is_omission(f) and not _QUOTED.search(f)]


def is_omission(red_flag: str) -> bool:
    """'Не упоминает блоковую разметку' / 'Ignores acceptance' -> True; '«Всегда быстрее»' -> False."""
    return bool(_OMISSION.match(red_flag.strip()))


def mark_conflicts(points: list[PointResult], conflicts: list[Conflict]) -> list[PointResult]:
    """A covered/partly point whose evidence contains a conflicting clause is 'contradicted'."""
    out = []
    for p in points:
        bad = p.verdict in ("covered", "partly") and any(overlap(c.clause, p.evidence) >= 0.6 for c in conflicts)
        out.append(p.model_copy(update={"verdict": "contradicted"}) if bad else p)
    return out


def compute_score(points: list[PointResult], n_red_flags: int = 0, n_errors: int = 0,
                  *, off_topic: bool = False, copied: bool = False, conflict: bool = False) -> float:
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
    if conflict:
        score = min(score, CONFLICT_CAP)
    return round(max(0.0, min(10.0, score)), 1)


def score_judgement(key_points: list[str], red_flags: list[str], judgement: Judgement,
                    point_evidence: list[str], flag_evidence: list[str] | None = None,
                    *, off_topic: bool = False, copied: bool = False,
                    conflicts: list[Conflict] | None = None) -> Scored:
    """Apply the verdicts to Python-chosen evidence, merge deterministic conflicts, compute the score."""
    conflicts = conflicts or []
    points = mark_conflicts(verify_points(key_points, judgement, point_evidence), conflicts)
    hit = verify_red_flags(red_flags, judgement, flag_evidence or [""] * len(red_flags))
    hit += [c.reference for c in conflicts if c.kind == "red_flag" and c.reference not in hit]
    facts = [c for c in conflicts if c.kind != "red_flag"]
    contradicted = [p.evidence for p in points if p.verdict == "contradicted"]
    extra = [c for c in facts if not any(overlap(c.clause, e) >= 0.6 for e in contradicted)]
    errors = [c.describe() for c in facts] + [
        f"«{p.evidence}» ↔ {p.point}" for p in points
        if p.verdict == "contradicted" and not any(overlap(c.clause, p.evidence) >= 0.6 for c in conflicts)]
    flags = ((["off_topic"] if off_topic else []) + (["copied_question"] if copied else [])
             + (["conflict"] if conflicts else []))
    score = compute_score(points, len(hit), len(extra), off_topic=off_topic, copied=copied,
                          conflict=bool(conflicts))
    return Scored(score=score, points=points, red_flags=hit, errors=errors, flags=flags)
