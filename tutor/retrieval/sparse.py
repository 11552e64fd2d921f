"""BM25-style sparse vectors for Russian + English technical notes (pure: no heavy imports).

Documents get saturated, length-normalised term frequencies (the BM25 TF part); queries get 1.0
per unique term. Qdrant applies the IDF part itself (sparse vector config ``modifier=IDF``), so the
dot product in Qdrant is exactly BM25.

Terms come from the project's one tokenizer (``tutor.text.words.terms``: Snowball stems, compounds
kept whole and split, stop-words dropped).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from tutor.text.words import terms


@dataclass(frozen=True)
class SparseVec:
    """Parallel lists, ready for ``qdrant_client.models.SparseVector(indices=..., values=...)``."""

    indices: list[int]
    values: list[float]


def term_id(term: str) -> int:
    """Stable across processes and machines: blake2b of the term, mod 2**31.

    'kv' -> always the same non-negative int < 2**31
    """
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (2**31)


class SparseEncoder:
    """BM25 TF part for documents, binary weights for queries.

    ``avg_len`` is a fixed constant (terms per chunk) rather than a corpus statistic so that a
    document's vector never changes when other documents are added: ingest stays incremental.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, avg_len: float = 120.0) -> None:
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def encode_document(self, text: str) -> SparseVec:
        """tf -> tf*(k1+1) / (tf + k1*(1 - b + b*len/avg_len)), one entry per term id."""
        toks = terms(text)
        norm = self.k1 * (1 - self.b + self.b * len(toks) / self.avg_len)
        weights: dict[int, float] = {}
        for term, tf in Counter(toks).items():
            idx = term_id(term)
            weights[idx] = weights.get(idx, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return _to_vec(weights)

    def encode_query(self, text: str) -> SparseVec:
        """1.0 per unique term: Qdrant multiplies by IDF, so the score is sum(IDF * doc TF)."""
        return _to_vec({term_id(t): 1.0 for t in terms(text)})


def _to_vec(weights: dict[int, float]) -> SparseVec:
    items = sorted(weights.items())
    return SparseVec(indices=[i for i, _ in items], values=[round(v, 6) for _, v in items])
