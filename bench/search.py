"""Search-only latency of the store (no embedder loaded): dense, sparse and hybrid queries against an
ingested collection, p50 / p95 over the same 200 queries as bench/retrieval.py, modes
interleaved query by query so that VM speed drift hits them alike. On the embedded store every
query also runs with qdrant-client's stock sparse scorer (``tutor.retrieval.local_sparse`` replaces it), and
the two scorers' top-k ids and scores are compared query by query.

    TUTOR_DATA_DIR=<ingested dir> .venv/bin/python bench/search.py
    TUTOR_DATA_DIR=<ingested dir> .venv/bin/python -O bench/search.py   # asserts stripped

Dense query vectors are the stored vectors of other chunks (real unit vectors of the same model;
a full scan costs the same for any vector); sparse query vectors come from the real query texts.
With TUTOR_QDRANT_URL set it measures a Qdrant server instead of the embedded local mode.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qdrant_client.local import local_collection, sparse_distances  # noqa: E402

from bench.retrieval import latency_queries  # noqa: E402
from tutor.core.settings import Settings  # noqa: E402
from tutor.retrieval import local_sparse  # noqa: E402
from tutor.retrieval.sparse import SparseEncoder  # noqa: E402
from tutor.retrieval.store import DENSE, open_store  # noqa: E402

MODES = ("dense", "sparse", "hybrid")


def stored_dense(store: object, n: int) -> list[list[float]]:
    points, _ = store.client.scroll(store.alias, limit=n, with_vectors=[DENSE])  # type: ignore[attr-defined]
    return [list(p.vector[DENSE]) for p in points]


def scorer_choices(store: object) -> dict[str, object]:
    """The sparse scorers to compare: ours (tutor.retrieval.local_sparse) and qdrant-client's own on the embedded store,
    nothing to swap on a server."""
    if store.remote:  # type: ignore[attr-defined]
        return {"server": None}
    return {"ours": local_sparse.calculate_distance_sparse,
            "stock": sparse_distances.calculate_distance_sparse}


def pct(xs: list[float], q: int) -> float:
    return round(statistics.quantiles(xs, n=100)[q - 1], 2)


def main() -> None:
    store = open_store(Settings())
    if not store.exists():
        sys.exit("Nothing ingested at this TUTOR_DATA_DIR: run `tutor ingest` first.")
    queries = latency_queries()
    dense = stored_dense(store, len(queries))
    enc = SparseEncoder()
    sparse = [enc.encode_query(q) for q in queries]
    scorers = scorer_choices(store)
    for i in range(10):  # warm-up
        store.query(dense[i % len(dense)], sparse[i], k=5, mode="hybrid")
    times: dict[tuple[str, str], list[float]] = {(s, m): [] for s in scorers for m in MODES}
    differ = 0
    for i, sv in enumerate(sparse):
        seen: dict[str, list[tuple[str, float]]] = {}
        for name, scorer in scorers.items():
            if scorer is not None:
                local_collection.calculate_distance_sparse = scorer
            for mode in MODES:
                t0 = time.perf_counter()
                hits = store.query(dense[i % len(dense)], sv, k=5, mode=mode)  # type: ignore[arg-type]
                times[(name, mode)].append((time.perf_counter() - t0) * 1000)
                if mode != "dense":
                    seen.setdefault(name, []).extend((h.chunk.chunk_id, h.score) for h in hits)
        differ += len({tuple(v) for v in seen.values()}) > 1
    local_sparse.install()  # the loop left the stock scorer in place
    print(f"points {store.count()}, queries {len(queries)}, python -O: {bool(sys.flags.optimize)}, "
          f"mean sparse query terms {statistics.mean(len(s.indices) for s in sparse):.1f}")
    for (name, mode), xs in times.items():
        print(f"{name:6s} {mode:7s} p50 {pct(xs, 50):6.2f} ms   p95 {pct(xs, 95):6.2f} ms")
    if len(scorers) > 1:
        ratio = statistics.median(times[("ours", "hybrid")]) / statistics.median(times[("stock", "hybrid")])
        print(f"hybrid p50 ours / stock = {ratio:.2f}; queries whose sparse or hybrid top-5 "
              f"(ids and scores) differ between the scorers: {differ} of {len(sparse)}")
    store.close()


if __name__ == "__main__":
    main()
