"""Retrieval benchmark, one run: quality per mode and embedder precision, a plain llama-index
baseline, query latency (embed and search apart), cold and no-op ingest times, and the query
backends side by side on the same bf16 document vectors (torch bf16 vs the int8 ONNX encoder:
embed p50/p95 wall, CPU ms per query, cosine to the torch vectors, hit@5 / MRR@10).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/retrieval.py [--out reports/bench_retrieval.json]
        [--query-threads 1,2] [--skip-fp32] [--skip-baseline]

Quality is measured on evals/data/paraphrases.jsonl (a hit is relevant if its text contains the
item's fact, normalised) and on the question bank (a hit is relevant if it is one of the item's
source chunks). Everything runs in private temporary data dirs; nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("OPENAI_API_KEY", None)
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evals.golden import load_paraphrases  # noqa: E402
from evals.metrics.retrieval import fact_relevance, hit_at_k, id_relevance, mrr_at_k  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from tutor.core.settings import Settings  # noqa: E402
from tutor.services import Services  # noqa: E402

CORPUS = REPO / "corpus"


def quality(ranked: list[tuple[list[str], list[int]]]) -> dict[str, float]:
    """ranked: (hit texts, relevance flags) per query -> hit@5, MRR@10, mean length of top-5 hits."""
    lengths = [len(t) for texts, _ in ranked for t in texts[:5]]
    return {"hit@5": round(statistics.mean(hit_at_k(r, 5) for _, r in ranked), 4),
            "mrr@10": round(statistics.mean(mrr_at_k(r, 10) for _, r in ranked), 4),
            "mean_hit_chars": round(statistics.mean(lengths)) if lengths else 0, "n": len(ranked)}


OFF_TOPIC = ["рецепт борща со сметаной и чесноком", "who won the football world cup in 2018",
             "как поменять масло в машине", "best hiking trails near the alps", "прогноз погоды на выходные"]


def eval_store(services: Services, mode: str, retriever: Any = None) -> dict[str, Any]:
    retriever = retriever or services.retriever
    paraphrases = load_paraphrases()
    para = []
    misses = []
    best_dense = []
    for p in paraphrases:
        hits = retriever.search(p.q, k=10, mode=mode)
        rels = fact_relevance([h.chunk.text for h in hits], p.fact)
        para.append(([h.chunk.text for h in hits], rels))
        best_dense.append(max((h.dense_score or 0.0 for h in hits), default=0.0))
        if not any(rels[:5]):
            misses.append(p.id)
    bank = []
    for item in services.bank.items:
        hits = retriever.search(item.question, k=10, mode=mode)
        bank.append(([h.chunk.text for h in hits], id_relevance([h.chunk.chunk_id for h in hits],
                                                                 item.source_chunk_ids)))
    off = [max((h.dense_score or 0.0 for h in retriever.search(q, k=5, mode=mode)), default=0.0) for q in OFF_TOPIC]
    return {"paraphrases": quality(para), "bank": quality(bank), "paraphrase_misses@5": misses,
            "bank_top5_found": sum(hit_at_k(r, 5) for _, r in bank),
            "min_relevance_check": {"in_scope_min_best_dense": round(min(best_dense), 3),
                                    "off_topic_max_best_dense": round(max(off), 3)}}


def pct(xs: list[float], q: int) -> float:
    return round(statistics.quantiles(xs, n=100)[q - 1], 1)


def embed_latency(embedder: Any, queries: list[str]) -> tuple[dict[str, float], list[list[float]]]:
    """Embed each query once (fresh cache): wall p50/p95 and CPU ms (time.process_time, all threads
    of this process, so independent of the other processes' load) per query; and the vectors."""
    embedder.clear_cache()
    embedder.embed_query("warm-up query")
    wall, cpu, vecs = [], [], []
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        vecs.append(embedder.embed_query(q))
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"n": len(queries), "embed_p50_ms": pct(wall, 50), "embed_p95_ms": pct(wall, 95),
            "cpu_p50_ms": pct(cpu, 50), "cpu_mean_ms": round(statistics.mean(cpu), 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}, vecs


def cosines(a: list[list[float]], b: list[list[float]]) -> dict[str, float]:
    cs = [sum(x * y for x, y in zip(u, v, strict=True)) for u, v in zip(a, b, strict=True)]
    return {"mean": round(statistics.mean(cs), 4), "min": round(min(cs), 4)}


def query_backends(services: Services, queries: list[str],
                   threads: list[int]) -> tuple[dict[str, Any], dict[str, list[list[float]]]]:
    """torch bf16 vs the int8 ONNX query encoder (every thread count) on the same stored vectors."""
    from tutor.models.onnx_query import OnnxQueryEncoder
    from tutor.models.query_artifact import artifact_dir
    from tutor.retrieval.retriever import Retriever

    base: Any = services.embedder
    torch_emb = base.with_query_encoder(None)
    out: dict[str, Any] = {}
    vectors: dict[str, list[list[float]]] = {}
    lat, vectors["torch"] = embed_latency(torch_emb, queries)
    out[torch_emb.query_backend] = {"latency": lat}
    folder = artifact_dir(services.settings.model_dir)
    for n in threads:
        emb = base.with_query_encoder(OnnxQueryEncoder.open(folder, threads=n))
        lat, vecs = embed_latency(emb, queries)
        row: dict[str, Any] = {"latency": lat, "cosine_to_torch_bf16": cosines(vecs, vectors["torch"])}
        if n == threads[0]:
            vectors["onnx"] = vecs
            retriever = Retriever(services.store, emb, services.settings)
            row.update({m: eval_store(services, m, retriever) for m in ("hybrid", "dense")})
        out[f"onnx-int8 ({n} thread{'s' if n > 1 else ''})"] = row
    retriever = Retriever(services.store, torch_emb, services.settings)
    out[torch_emb.query_backend].update({m: eval_store(services, m, retriever) for m in ("hybrid", "dense")})
    return out, vectors


def latency(services: Services, queries: list[str]) -> dict[str, float]:
    """p50/p95 in ms over unique queries, LRU cache cleared first (every query really embedded)."""
    retriever: Any = services.retriever
    services.embedder.clear_cache()  # type: ignore[attr-defined]
    retriever.search("warm-up query", k=5)
    embed, search = [], []
    for q in queries:
        retriever.search(q, k=5)
        embed.append(retriever.last_timings["embed"] * 1000)
        search.append(retriever.last_timings["search"] * 1000)
    cached = []
    for q in queries[:50]:
        retriever.search(q, k=5)
        cached.append(retriever.last_timings["embed"] * 1000)
    return {"n": len(queries), "query_backend": services.embedder.query_backend,  # type: ignore[attr-defined]
            "embed_p50_ms": pct(embed, 50), "embed_p95_ms": pct(embed, 95),
            "search_p50_ms": pct(search, 50), "search_p95_ms": pct(search, 95),
            "cached_embed_p50_ms": pct(cached, 50), "load_avg_1m": round(os.getloadavg()[0], 2)}


def llama_index_baseline(services: Services) -> dict[str, Any]:
    """Default SentenceSplitter over the parsed document texts + the same embedder, in-memory
    VectorStoreIndex, dense top-10. The LLM is never used (retrieval only, llm=None nowhere needed)."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.node_parser import SentenceSplitter

    from ingest.parse import parse_paths

    embedder: Any = services.embedder

    class Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed_documents([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

    docs, _ = parse_paths([CORPUS])
    nodes = SentenceSplitter().get_nodes_from_documents(
        [Document(text=d.text, metadata={"doc": d.doc}) for d in docs])
    t0 = time.perf_counter()
    index = VectorStoreIndex(nodes, embed_model=Adapter(model_name="same-embedder", embed_batch_size=16))
    build = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=10)
    ranked = []
    for p in load_paraphrases():
        texts = [n.node.get_content() for n in retriever.retrieve(p.q)]
        ranked.append((texts, fact_relevance(texts, p.fact)))
    return {"paraphrases": quality(ranked), "nodes": len(nodes), "index_build_s": round(build, 1)}


def latency_queries(n: int = 200) -> list[str]:
    """The paraphrases, then bank questions, unique, first n."""
    from ingest.bank import build_bank
    from ingest.parse import parse_paths

    docs, _ = parse_paths([CORPUS])
    qs = [p.q for p in load_paraphrases()] + [i.question for i in build_bank(docs).items]
    return list(dict.fromkeys(qs))[:n]


def run_precision(fast: bool, queries: list[str], workdir: Path, threads: int | None,
                  args: argparse.Namespace) -> dict[str, Any]:
    """One document precision; ``modes`` / ``latency`` use torch queries of the same precision."""
    extra: dict[str, Any] = {"embed_threads": threads} if threads is not None else {}
    settings = Settings(data_dir=workdir / ("fast" if fast else "fp32"), corpus_dir=CORPUS,
                        embed_quantize=fast, embed_query_backend="torch", **extra)
    out: dict[str, Any] = {"embedder": "bf16" if fast else "fp32"}
    with Services(settings) as services:
        t0 = time.perf_counter()
        services.embedder  # noqa: B018 - load the model outside the ingest timing
        out["model_load_s"] = round(time.perf_counter() - t0, 1)
        report = ingest_paths(services, [CORPUS])
        out["cold_ingest_s"] = report.seconds
        out["chunks"] = report.chunks_total
        out["noop_reingest_s"] = ingest_paths(services, [CORPUS]).seconds
        out["modes"] = {m: eval_store(services, m) for m in ("dense", "sparse", "hybrid")}
        out["latency"] = latency(services, queries)
        if fast and not args.skip_baseline:
            out["llama_index_baseline"] = llama_index_baseline(services)
        if fast and not args.skip_onnx:
            out["query_backends"], VECTORS["bf16"] = query_backends(services, queries, args.query_threads)
        elif not fast:
            VECTORS["fp32"] = {"torch": embed_latency(services.embedder, queries)[1]}
    return out


VECTORS: dict[str, dict[str, list[list[float]]]] = {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "reports" / "bench_retrieval.json")
    ap.add_argument("--threads", type=int, default=None, help="Settings.embed_threads (0 = torch default).")
    ap.add_argument("--skip-fp32", action="store_true", help="Only the fast (default) embedder.")
    ap.add_argument("--skip-baseline", action="store_true", help="No llama-index baseline.")
    ap.add_argument("--skip-onnx", action="store_true", help="No int8 ONNX query backend comparison.")
    ap.add_argument("--query-threads", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2],
                    help="ONNX Runtime intra-op thread counts to time (quality with the first).")
    args = ap.parse_args()
    queries = latency_queries()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        results["fast"] = run_precision(True, queries, Path(tmp), args.threads, args)
        if not args.skip_fp32:
            results["fp32"] = run_precision(False, queries, Path(tmp), args.threads, args)
    if "fp32" in VECTORS and "bf16" in VECTORS:
        results["cosine_to_torch_fp32"] = {name: cosines(vecs, VECTORS["fp32"]["torch"])
                                           for name, vecs in {"torch-bf16": VECTORS["bf16"]["torch"],
                                                              "onnx-int8": VECTORS["bf16"]["onnx"]}.items()}
    results["meta"] = {"embed_threads": Settings().embed_threads if args.threads is None else args.threads,
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                       "load_avg_1m": round(os.getloadavg()[0], 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
