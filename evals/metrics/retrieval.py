"""Ranking metrics over binary relevance lists (pure).

A relevance list has one entry per retrieved hit in rank order: ``[0, 1, 0]`` means the second
hit is the first relevant one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case-fold and collapse whitespace: ' KV\\n Cache ' -> 'kv cache'."""
    return _WS.sub(" ", text.casefold()).strip()


def fact_relevance(texts: Sequence[str], fact: str) -> list[int]:
    """1 where the hit text contains the fact (normalised): (['a KV cache'], 'kv  cache') -> [1]."""
    f = normalise(fact)
    if not f:
        raise ValueError("a relevance fact must not be empty")
    return [int(f in normalise(t)) for t in texts]


def id_relevance(ids: Sequence[str], gold: Sequence[str]) -> list[int]:
    """1 where the hit id is a gold id: (['a', 'b'], ['b']) -> [0, 1]."""
    g = set(gold)
    return [int(i in g) for i in ids]


def hit_at_k(rels: Sequence[int], k: int) -> float:
    """1.0 if any of the first k hits is relevant: ([0, 1], 1) -> 0.0, ([0, 1], 2) -> 1.0."""
    return float(any(rels[:k]))


def mrr_at_k(rels: Sequence[int], k: int) -> float:
    """Reciprocal rank of the first relevant hit within k: ([0, 0, 1], 3) -> 1/3; none -> 0."""
    for i, r in enumerate(rels[:k]):
        if r:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at_k(rels: Sequence[int], k: int, n_relevant: int | None = None) -> float:
    """Binary nDCG@k. DCG = sum(rel_i / log2(i + 1)), ranks i from 1; the ideal list puts
    ``n_relevant`` relevant hits first (default: the relevant hits that were retrieved, which
    is the usual choice when the full relevant set is unknown). No relevant -> 0.0.

    ([0, 1], 2) -> (1/log2 3) / 1 = 0.631
    """
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(rels[:k]))
    ideal_n = sum(1 for r in rels[:k] if r) if n_relevant is None else n_relevant
    ideal_n = min(ideal_n, k)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_n))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(rels: Sequence[int], k: int, n_relevant: int) -> float | None:
    """Share of the relevant items found in the first k hits; None when nothing is relevant."""
    if n_relevant <= 0:
        return None
    return min(1.0, sum(1 for r in rels[:k] if r) / n_relevant)


def ranking_scores(rels: Sequence[int], k: int, n_relevant: int | None = None) -> dict[str, float]:
    """All three ranking scores for one query: {'hit@k', 'mrr@k', 'ndcg@k'}."""
    return {
        f"hit@{k}": hit_at_k(rels, k),
        f"mrr@{k}": mrr_at_k(rels, k),
        f"ndcg@{k}": ndcg_at_k(rels, k, n_relevant),
    }
