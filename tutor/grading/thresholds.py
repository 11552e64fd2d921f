"""Every tuned number of the grader, in one place, each with the data and the command that set it.

Settings carry no grading threshold; ``Grader(thresholds=...)`` overrides these (the tune-split
replays of ``evals/run_grading.py`` do). Protocol: evals/data/grading, split by question into tune
and test; every value below was fit on tune only (docs/grading.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradingThresholds:
    # --- the judge's reading of one probe (tutor/grading/judge.py) ---
    # margin and unrelated_at were swept on the tune split by replaying the stored readings (margin
    # 0.0-0.3, unrelated_at 0.4-1.0; 0.10 / 0.50 kept): `python -m evals.run_grading --replay
    # reports/<id>/report.json tune`. swap_below is a first choice, not swept (it needs new model calls).
    swap_below: float = 0.35   # |P(right) - P(wrong)| under this: ask again with the options swapped
    margin: float = 0.10       # the lead a side needs over the other to count
    unrelated_at: float = 0.50  # P(not said) at or above this: unrelated whatever the two sides

    # --- evidence by meaning (tutor/grading/evidence.py) ---
    # EmbeddingGemma document-document cosine of a key point and the closest answer sentence below
    # which the answer does not address the point (no LLM call). Replayed on the tune split at 0.45 /
    # 0.50 / 0.55 from stored readings: 0.45 kept (best pair order with the simple score).
    evidence_min: float = 0.45
    # Passing an answer of at most whole_chars whole (the judge reads the point in context) was one
    # tune A/B against the evidence_top closest sentences only: pair order 0.876 -> 0.900.
    # evidence_top, evidence_max_chars and long_sentence_words are first choices, not swept.
    evidence_top: int = 2
    evidence_max_chars: int = 600
    whole_chars: int = 700
    long_sentence_words: int = 35  # a longer sentence also offers its clauses as evidence

    # --- a key point without a probe (a rubric from structure alone; tutor/grading/grader.py) ---
    # Covered when the closest sentence is at least this close; it cannot be contradicted. NOT yet
    # measured: every protocol question has a reviewed rubric with probes.
    cover_min: float = 0.70

    # --- the score (tutor/grading/score.py); swept on tune by replay (`--replay ... tune`) ---
    score_mid: float = 0.15    # the average lead that scores 5
    score_scale: float = 0.06  # the curve's width: lead 0.21 -> 7.3, 0.30 -> 9.2, 0.09 -> 2.7, 0.0 -> 0.8
    full_at: float = 0.8       # share of covered key points that allows full marks

    # --- rubrics from structure (tutor/grading/rubric.py) and answer checks (checks.py); first choices ---
    max_points: int = 5          # a strong answer covers the core; more points turn grades into recall of details
    point_min_words: int = 4     # a shorter line is a label or a fragment, not a statement
    point_max_words: int = 45
    term_list_max_words: int = 3  # a list item this short names a term, it states nothing


GRADING = GradingThresholds()
