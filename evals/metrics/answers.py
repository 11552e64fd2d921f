"""RAGAS-style answer metrics, step 3 only: the LLM gave verdicts, Python computes the ratio.

Each function returns a ``Score``: a value in [0, 1] or ``None`` with a reason a person can read.
Nothing scores 1.0 for free: no claims / no contexts / empty answer -> None (RAGAS returns NaN),
except where RAGAS itself defines 0 (answer relevancy without generated questions, context
precision with no relevant chunk).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from tutor.text.similarity import cosine

CORRECTNESS_WEIGHTS = (0.75, 0.25)  # RAGAS AnswerCorrectness: factuality F1, semantic similarity


class Score(BaseModel):
    value: float | None
    reason: str = ""

    @classmethod
    def none(cls, reason: str) -> Score:
        return cls(value=None, reason=reason)


def ratio(flags: Sequence[bool | int], what: str) -> Score:
    """Share of true flags: ([1, 1, 0], 'claims') -> 0.667; [] -> None ('no claims')."""
    if not flags:
        return Score.none(f"no {what} to judge")
    return Score(value=sum(1 for f in flags if f) / len(flags))


def faithfulness(supported: Sequence[bool | int]) -> Score:
    """Answer claims supported by the retrieved context / all answer claims."""
    return ratio(supported, "claims in the answer")


def context_recall(attributed: Sequence[bool | int]) -> Score:
    """Reference claims attributable to the retrieved context / all reference claims."""
    return ratio(attributed, "claims in the reference answer")


def average_precision(relevant: Sequence[bool | int]) -> Score:
    """RAGAS context precision: sum_k(precision@k * rel_k) / (relevant + 1e-10).

    [1, 0, 1] -> (1/1 + 2/3) / 2 = 0.833; [0, 0] -> 0.0; [] -> None (no contexts).
    """
    if not relevant:
        return Score.none("no retrieved contexts")
    rel = [1 if r else 0 for r in relevant]
    num = sum(sum(rel[: i + 1]) / (i + 1) * rel[i] for i in range(len(rel)))
    return Score(value=num / (sum(rel) + 1e-10))


def f_beta(tp: int, fp: int, fn: int, beta: float = 1.0) -> float:
    """RAGAS factuality F-beta over TP/FP/FN claim counts (its edge rules included):
    (2, 1, 1) -> 0.667; (0, 0, 0) -> 1.0 is never reached here (callers return None first)."""
    precision = (1.0 if fn == 0 else 0.0) if tp + fp == 0 else tp / (tp + fp)
    recall = (1.0 if fp == 0 else 0.0) if tp + fn == 0 else tp / (tp + fn)
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def answer_correctness(tp: int, fp: int, fn: int, similarity: float | None,
                       weights: tuple[float, float] = CORRECTNESS_WEIGHTS) -> Score:
    """0.75 * F1(TP, FP, FN) + 0.25 * cosine(answer, reference), as RAGAS.

    RAGAS assumes a perfect match when either side has no claims; we return None instead."""
    if tp + fp + fn == 0:
        return Score.none("no claims in the answer or the reference")
    f1 = f_beta(tp, fp, fn)
    if similarity is None:
        return Score(value=f1, reason="factuality only (no similarity)")
    w_f, w_s = weights
    return Score(value=(w_f * f1 + w_s * similarity) / (w_f + w_s))


def answer_relevancy(question_vec: Sequence[float], generated_vecs: Sequence[Sequence[float]],
                     noncommittal: Sequence[bool | int]) -> Score:
    """Mean cosine(question, generated question) * (not all noncommittal), as RAGAS.
    No generated questions -> 0.0 (RAGAS does the same)."""
    if not generated_vecs:
        return Score(value=0.0, reason="the judge generated no question from the answer")
    if noncommittal and all(noncommittal):
        return Score(value=0.0, reason="the answer is noncommittal")
    sims = [cosine(question_vec, g) for g in generated_vecs]
    return Score(value=sum(sims) / len(sims))


def similarity(a_vec: Sequence[float], b_vec: Sequence[float], what: str) -> Score:
    """Embedding similarity as a Score (non-LLM variants), clipped to [0, 1]."""
    if not a_vec or not b_vec:
        return Score.none(f"no text for {what}")
    return Score(value=max(0.0, min(1.0, cosine(a_vec, b_vec))))
