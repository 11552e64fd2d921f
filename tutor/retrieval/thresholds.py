"""Every tuned number of retrieval, in one place, each with the data and the command that set it.
The relevance cut-offs the answering side applies to retrieved hits live in
``tutor/answering/thresholds.py`` (settings may override them, docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetrievalThresholds:
    # Cosine (query encoder, both sides) at or above which a typed question is taken as the bank item.
    # Set on the tune split of evals/data/grading/paraphrases.jsonl (41 paraphrases RU/EN, 12 off-bank
    # questions, 5 of them near-misses) with the reviewed alternates indexed: 0.64 -> 97.6% right but
    # an off-bank question matched; 0.66 -> 95.1% right, 0 off-bank matched. `python -m evals.bank_match`.
    match_min: float = 0.66
    # Weighted RRF inside Qdrant: score = sum_i w_i / (rank_i + rrf_k - 1). With k=1 and weights
    # (dense 1.0, sparse 0.4) a sparse top-1 outranks a dense top-3, not a dense top-2: the BM25 side
    # breaks ties on exact terms without overriding the embedder (tuned on the paraphrase + bank
    # sets, `python bench/retrieval.py`, docs/retrieval.md).
    rrf_k: int = 1
    rrf_weights: tuple[float, float] = (1.0, 0.4)


RETRIEVAL = RetrievalThresholds()
