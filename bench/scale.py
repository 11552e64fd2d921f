"""The cost curve of a larger library (issue 22): store write time, disk, peak RSS and hybrid search
latency at 1k, 5k and 20k chunks in the embedded Qdrant store, plus the embedding time it implies.

Chunks are real parses of synthetic notes built from the seed corpus's sentences (``evals.library``,
all layouts mixed, RU/EN as in the corpus) with their real BM25 sparse vectors. Dense vectors are
random unit vectors of the embedder's size: an embedded (local-mode) search scans every vector, so its
cost does not depend on the values, and embedding 20k chunks on 2 cores would take ~2 hours; the
document-embedding rate is measured on 128 real chunks and the full embedding time extrapolated.
Queries: 200 real query texts (sparse side) and stored vectors of other chunks (dense side).

    .venv/bin/python bench/scale.py                  # 1000 5000 20000, plot in docs/scale.png
    .venv/bin/python bench/scale.py --sizes 1000 --no-plot

With TUTOR_QDRANT_URL set, the same runs go to a Qdrant server instead.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from evals.library import library_chunks  # noqa: E402
from tutor.core.settings import Settings  # noqa: E402
from tutor.core.types import Chunk  # noqa: E402
from tutor.retrieval.sparse import SparseEncoder  # noqa: E402
from tutor.retrieval.store import open_store  # noqa: E402

QUERIES = [
    "как GQA уменьшает KV-кэш", "what is speculative decoding", "зачем нужен reranker в RAG",
    "LoRA vs QLoRA memory", "почему flash attention быстрее", "how to evaluate a RAG pipeline",
    "что такое continuous batching", "mixture of experts load balancing loss", "квантизация GPTQ AWQ",
    "prompt injection defenses", "temperature top-p sampling", "DPO vs RLHF",
]


def embed_rate(chunks: list[Chunk]) -> float:
    """Chunks per second of the real document embedder (the default model) on 128 chunks."""
    from tutor.models.embedder import build_embedder

    emb = build_embedder(Settings())
    texts = [c.text for c in chunks[:128]]
    emb.embed_documents(texts[:8])  # warm-up
    t = time.perf_counter()
    emb.embed_documents(texts)
    return len(texts) / (time.perf_counter() - t)


def run(n: int, dim: int, rng: random.Random, work: Path) -> dict[str, float]:
    chunks = library_chunks(n, work / f"lib{n}")
    sparse = SparseEncoder()
    svecs = [sparse.encode_document(c.text) for c in chunks]
    gen = np.random.default_rng(rng.randint(0, 2**31))
    dense = gen.standard_normal((len(chunks), dim)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    data = work / f"data{n}"
    settings = Settings(data_dir=data)
    store = open_store(settings)
    try:
        collection = store.create_collection(dim)
        t = time.perf_counter()
        for i in range(0, len(chunks), 256):
            store.upsert(chunks[i:i + 256], dense[i:i + 256].tolist(), svecs[i:i + 256], doc_sha={},
                         collection=collection)
        store.switch_alias(collection)
        write_s = time.perf_counter() - t
        store.close()
        del chunks, svecs  # searched as the app does: a process that opened the stored library
        store = open_store(settings)
        t = time.perf_counter()
        store.query(dense[0].tolist(), sparse.encode_query(QUERIES[0]), k=5, mode="hybrid")
        first_ms = (time.perf_counter() - t) * 1000  # builds the sparse posting lists (embedded store)
        lat = []
        for q in range(200):
            qv = dense[rng.randrange(len(dense))].tolist()
            qs = sparse.encode_query(QUERIES[q % len(QUERIES)])
            t = time.perf_counter()
            store.query(qv, qs, k=5, mode="hybrid")
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        store.close()
    disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e6
    lat.sort()
    return {"chunks": len(dense), "write_s": write_s, "first_ms": first_ms, "p50_ms": statistics.median(lat),
            "p95_ms": lat[int(0.95 * len(lat)) - 1], "disk_mb": disk,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def plot(rows: list[dict[str, float]], rate: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["chunks"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(n, [r["p50_ms"] for r in rows], "o-", label="hybrid search p50")
    a.plot(n, [r["p95_ms"] for r in rows], "s--", label="hybrid search p95")
    a.axhline(25, color="grey", lw=0.8, ls=":", label="target p50 25 ms")
    a.axhline(60, color="grey", lw=0.8, ls="-.", label="target p95 60 ms")
    a.set_xlabel("chunks")
    a.set_ylabel("ms")
    a.set_title("Embedded Qdrant, 2 cores")
    a.legend(fontsize=8)
    b.plot(n, [r["chunks"] / rate / 60 for r in rows], "o-", label="embedding (measured rate)")
    b.plot(n, [r["write_s"] / 60 for r in rows], "s--", label="store write")
    b.set_xlabel("chunks")
    b.set_ylabel("minutes")
    b.set_title(f"Ingest cost ({rate:.1f} chunks/s embedding)")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--plot", type=Path, default=REPO / "docs" / "scale.png")
    args = ap.parse_args()
    rng = random.Random(0)
    work = Path(tempfile.mkdtemp(prefix="tutor-scale-"))
    try:
        seed_chunks = library_chunks(300, work / "seed")
        rate = embed_rate(seed_chunks)
        dim = 768
        print(f"document embedding: {rate:.2f} chunks/s (default model, 128 real chunks)")
        print(f"{'chunks':>7}{'write s':>9}{'embed min':>11}{'first ms':>9}{'p50 ms':>8}{'p95 ms':>8}{'disk MB':>9}"
              f"{'peak RSS MB':>13}")
        rows = []
        for n in args.sizes:
            r = run(n, dim, rng, work)
            rows.append(r)
            print(f"{r['chunks']:>7.0f}{r['write_s']:>9.1f}{r['chunks'] / rate / 60:>11.1f}{r['first_ms']:>9.0f}{r['p50_ms']:>8.1f}"
                  f"{r['p95_ms']:>8.1f}{r['disk_mb']:>9.1f}{r['rss_mb']:>13.0f}", flush=True)
        if not args.no_plot:
            plot(rows, rate, args.plot)
            print(f"plot: {args.plot}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
