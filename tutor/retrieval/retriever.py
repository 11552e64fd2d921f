"""Hybrid retrieval (tutor.core.ports.Searcher): embed the query, BM25-encode it, let Qdrant fuse.

Every hit carries ``dense_score`` = cosine(query, chunk) whatever the mode, so callers can decide
"the notes don't cover this" with one threshold (``min_relevance``, tutor/answering/thresholds.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tutor.core.errors import InputError, StoreError
from tutor.core.settings import Settings
from tutor.core.types import Filters, Hit, Mode
from tutor.retrieval.sparse import SparseEncoder
from tutor.text.similarity import cosine

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.ports import Embedder
    from tutor.retrieval.store import Store


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, settings: Settings,
                 sparse: SparseEncoder | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.sparse = sparse or SparseEncoder()
        self.last_timings: dict[str, float] = {}

    def search(self, query: str, *, k: int = 5, mode: Mode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        query = query.strip()
        if not query:
            raise InputError("The search query is empty.")
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}.")
        if not self.store.exists():
            raise StoreError("The knowledge base is empty: nothing has been ingested yet.",
                             hint="Run `tutor ingest` first.")
        t0 = time.perf_counter()
        qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        svec = self.sparse.encode_query(query) if mode != "dense" else None
        scored = self.store.query(qvec, svec, k=k, mode=mode, filters=filters)
        t2 = time.perf_counter()
        self.last_timings = {"embed": t1 - t0, "search": t2 - t1}
        return [Hit(chunk=s.chunk, score=s.score, dense_score=None if s.dense is None else cosine(qvec, s.dense), vector=s.dense)
                for s in scored]
