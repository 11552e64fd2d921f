"""A faster, result-identical sparse scorer for qdrant-client's embedded (local) mode.

Local mode scores a sparse query against every stored point with ``calculate_distance_sparse``,
which merges the query's terms with each point's terms in pure Python (a loop over *all* the
point's terms) and re-asserts both vectors are sorted per pair: ~30 ms per query at 20,000 chunks.

This one answers a search over many points from **posting lists** (term -> the points holding it and
their values, numpy arrays), so a query costs the length of its terms' postings, not the number of
points. The postings are built once per set of stored vectors and reused while the stored vectors
are the very same objects (local mode replaces a point's vector object on every write, so an
identity check over the list, ~1 ms at 20k, is an exact freshness test; the snapshot keeps the
objects alive, so no id can be reused). Small candidate lists (< ``POSTINGS_MIN`` points, e.g. the
recommend / discovery paths) use a ``bisect`` lookup per query term instead.

Same result, bit for bit, on both paths: every point's matches are summed in ascending index order
starting from 0.0, as the original does, each product is ``query value * point value`` in double
precision, the sum is rounded to float32 once; no overlap gives ``-inf`` (or 0 with
``empty_is_zero``). Both rely on sorted indices, which local mode guarantees: every upsert stores
``sort_sparse_vector(v)`` and the query is sorted right before the call.

Installed explicitly by ``tutor.retrieval.store.open_store`` for embedded stores only (a Qdrant server
uses its own inverted index), and only when qdrant-client still has the function this replaces;
otherwise the stock scorer stays and nothing breaks.
"""

from __future__ import annotations

import inspect
import logging
import operator
import threading
from bisect import bisect_left
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
_PARAMETERS = ["query", "vectors", "empty_is_zero"]  # the stock function's, as of qdrant-client 1.20


POSTINGS_MIN = 256  # fewer points: the per-point bisect loop (no index worth building)
_KEEP = 2  # snapshots kept: the collection searched, and one more (a rebuild's new collection)


class Postings:
    """Posting lists of one snapshot of stored sparse vectors."""

    def __init__(self, vectors: list[Any]) -> None:
        self.items = list(vectors)  # the vector objects themselves: alive while cached
        lists: dict[int, tuple[list[int], list[float]]] = {}
        for n, vector in enumerate(self.items):
            for index, value in zip(vector.indices, vector.values, strict=True):
                entry = lists.get(index)
                if entry is None:
                    lists[index] = entry = ([], [])
                entry[0].append(n)
                entry[1].append(value)
        self.lists = {k: (np.array(p, dtype=np.intp), np.array(v, dtype=np.float64)) for k, (p, v) in lists.items()}

    def holds(self, vectors: list[Any]) -> bool:
        """True when ``vectors`` are exactly the objects this snapshot was built from."""
        return len(vectors) == len(self.items) and all(map(operator.is_, vectors, self.items))

    def scores(self, query: Any, empty_is_zero: bool) -> np.ndarray:
        total = np.zeros(len(self.items), dtype=np.float64)
        hit = np.zeros(len(self.items), dtype=bool)
        for index, value in zip(query.indices, query.values, strict=True):  # ascending, as stock sums
            entry = self.lists.get(index)
            if entry is not None:
                total[entry[0]] += value * entry[1]
                hit[entry[0]] = True
        out = total.astype(np.float32)
        out[~hit] = np.float32(0.0) if empty_is_zero else np.float32("-inf")
        return out


_snapshots: list[Postings] = []
_lock = threading.Lock()


def postings_for(vectors: list[Any]) -> Postings:
    """The cached postings of ``vectors``, built (and the oldest snapshot dropped) when none holds them."""
    with _lock:
        for snap in _snapshots:
            if snap.holds(vectors):
                return snap
    snap = Postings(vectors)
    with _lock:
        _snapshots.insert(0, snap)
        del _snapshots[_KEEP:]
    return snap


def calculate_distance_sparse(query: Any, vectors: list[Any], empty_is_zero: bool = False) -> np.ndarray:
    """Drop-in for ``qdrant_client.local.sparse_distances.calculate_distance_sparse``."""
    if len(vectors) >= POSTINGS_MIN:
        return postings_for(vectors).scores(query, empty_is_zero)
    terms = list(zip(query.indices, query.values, strict=True))
    missing = np.float32(0.0) if empty_is_zero else np.float32("-inf")
    scores = np.empty(len(vectors), dtype=np.float32)
    for n, vector in enumerate(vectors):
        indices = vector.indices
        size = len(indices)
        result = 0.0
        overlap = False
        for index, value in terms:
            pos = bisect_left(indices, index)
            if pos < size and indices[pos] == index:
                result += value * vector.values[pos]
                overlap = True
        scores[n] = result if overlap else missing
    return scores


def install() -> bool:
    """Use the bisect scorer in qdrant-client's local collections. Idempotent; False if not installed."""
    try:
        from qdrant_client.local import local_collection, sparse_distances
    except ImportError:  # pragma: no cover - qdrant-client without local mode
        return False
    current = getattr(local_collection, "calculate_distance_sparse", None)
    if current is calculate_distance_sparse:
        return True
    stock = getattr(sparse_distances, "calculate_distance_sparse", None)
    if current is None or current is not stock or _parameters(current) != _PARAMETERS:
        log.info("qdrant-client's local sparse scorer is not the expected one; keeping it")
        return False
    local_collection.calculate_distance_sparse = calculate_distance_sparse
    return True


def _parameters(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)
