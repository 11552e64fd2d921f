"""Hand-computed cases for the pure metric formulas."""

from __future__ import annotations

import math

import pytest

from evals.metrics import answers as am
from evals.metrics import retrieval as rm
from evals.metrics import stats


def test_hit_and_mrr():
    assert rm.hit_at_k([0, 1, 0], 1) == 0.0
    assert rm.hit_at_k([0, 1, 0], 2) == 1.0
    assert rm.mrr_at_k([0, 0, 1], 3) == pytest.approx(1 / 3)
    assert rm.mrr_at_k([0, 0, 1], 2) == 0.0


def test_ndcg_hand_case():
    # rels [1, 0, 1], 2 relevant: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.6309
    assert rm.ndcg_at_k([1, 0, 1], 3, n_relevant=2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert rm.ndcg_at_k([0, 1], 2) == pytest.approx(1 / math.log2(3))
    assert rm.ndcg_at_k([0, 0], 2) == 0.0
    assert rm.ndcg_at_k([1, 0], 2, n_relevant=1) == 1.0


def test_relevance_helpers():
    assert rm.fact_relevance(["A  KV\nCache here", "other"], "kv cache") == [1, 0]
    assert rm.id_relevance(["a", "b", "c"], ["c", "x"]) == [0, 0, 1]
    assert rm.recall_at_k([1, 0, 1], 2, 2) == 0.5
    assert rm.recall_at_k([1], 1, 0) is None
    with pytest.raises(ValueError):
        rm.fact_relevance(["x"], "  ")


def test_faithfulness_two_of_three():
    assert am.faithfulness([True, True, False]).value == pytest.approx(0.667, abs=1e-3)


def test_no_claims_is_none_not_one():
    s = am.faithfulness([])
    assert s.value is None and "no claims" in s.reason
    assert am.context_recall([]).value is None
    assert am.answer_correctness(0, 0, 0, 0.9).value is None


def test_context_precision_hand_case():
    assert am.average_precision([1, 0, 1]).value == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert am.average_precision([0, 0]).value == pytest.approx(0.0)
    assert am.average_precision([0, 1]).value == pytest.approx(0.5)
    assert am.average_precision([]).value is None


def test_answer_correctness_weights():
    # tp=2, fp=1, fn=1: P = R = 2/3, F1 = 2/3; 0.75 * 2/3 + 0.25 * 0.8 = 0.7
    assert am.f_beta(2, 1, 1) == pytest.approx(2 / 3)
    assert am.answer_correctness(2, 1, 1, 0.8).value == pytest.approx(0.7)
    assert am.answer_correctness(0, 3, 2, 0.5).value == pytest.approx(0.125)


def test_answer_relevancy_noncommittal_and_cosine():
    q = [1.0, 0.0]
    gen = [[1.0, 0.0], [1.0, 1.0]]
    assert am.answer_relevancy(q, gen, [False, False]).value == pytest.approx((1 + 2 ** -0.5) / 2)
    assert am.answer_relevancy(q, gen, [True, True]).value == 0.0
    assert am.answer_relevancy(q, gen, [True, False]).value > 0.8
    assert am.answer_relevancy(q, [], []).value == 0.0
    assert am.cosine([0, 0], [1, 0]) == 0.0


def test_spearman_against_hand_computation():
    # x ranks [1,2,3,4,5], y = [2, 1, 4, 3, 5]: d^2 = 1+1+1+1+0 = 4; rho = 1 - 6*4/(5*24) = 0.8
    assert stats.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert stats.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert stats.spearman([1, 1, 1], [1, 2, 3]) is None


def test_ranks_with_ties():
    assert stats.ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    # ties: x ranks [1, 2.5, 2.5, 4] vs y [1, 2, 3, 4] -> pearson by hand = 0.9487
    assert stats.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486833, abs=1e-6)


def test_pairwise_accuracy():
    assert stats.pairwise_accuracy([0.9, 0.5, 0.1], [2, 1, 0]) == 1.0
    assert stats.pairwise_accuracy([0.1, 0.5, 0.9], [2, 1, 0]) == 0.0
    # pairs with different labels: (0,1) ok, (0,2) tie -> 0.5, (1,2) ok -> 2.5 / 3
    assert stats.pairwise_accuracy([0.5, 0.1, 0.5], [2, 0, 1]) == pytest.approx(2.5 / 3)
    # (0,1) wrong, (0,2) tie -> 0.5, (1,2) wrong -> 0.5 / 3
    assert stats.pairwise_accuracy([0.5, 0.9, 0.5], [2, 0, 1]) == pytest.approx(0.5 / 3)
    assert stats.pairwise_accuracy([1, 2], [1, 1]) is None


def test_mean_and_stdev():
    assert stats.mean([1.0, None, 0.0]) == 0.5
    assert stats.mean([None]) is None
    assert stats.stdev([1.0, 3.0]) == 1.0
