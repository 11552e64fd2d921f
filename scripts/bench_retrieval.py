"""Retrieval benchmark, one run: quality per mode and embedder precision, a plain llama-index
baseline, query latency (embed and search apart), cold and no-op ingest times.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_retrieval.py [--out reports/bench_retrieval.json]

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
from tutor.services import Services  # noqa: E402
from tutor.settings import Settings  # noqa: E402

CORPUS = REPO / "corpus"


def quality(ranked: list[tuple[list[str], list[int]]]) -> dict[str, float]:
    """ranked: (hit texts, relevance flags) per query -> hit@5, MRR@10, mean length of top-5 hits."""
    lengths = [len(t) for texts, _ in ranked for t in texts[:5]]
    return {"hit@5": round(statistics.mean(hit_at_k(r, 5) for _, r in ranked), 4),
            "mrr@10": round(statistics.mean(mrr_at_k(r, 10) for _, r in ranked), 4),
            "mean_hit_chars": round(statistics.mean(lengths)) if lengths else 0, "n": len(ranked)}


def eval_store(services: Services, mode: str) -> dict[str, Any]:
    paraphrases = load_paraphrases()
    para = []
    misses = []
    for p in paraphrases:
        hits = services.retriever.search(p.q, k=10, mode=mode)  # type: ignore[arg-type]
        rels = fact_relevance([h.chunk.text for h in hits], p.fact)
        para.append(([h.chunk.text for h in hits], rels))
        if not any(rels[:5]):
            misses.append(p.id)
    bank = []
    for item in services.bank.items:
        hits = services.retriever.search(item.question, k=10, mode=mode)  # type: ignore[arg-type]
        bank.append(([h.chunk.text for h in hits], id_relevance([h.chunk.chunk_id for h in hits],
                                                                 item.source_chunk_ids)))
    return {"paraphrases": quality(para), "bank": quality(bank), "paraphrase_misses@5": misses}


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

    def pct(xs: list[float], q: int) -> float:
        return round(statistics.quantiles(xs, n=100)[q - 1], 1)

    return {"n": len(queries), "embed_p50_ms": pct(embed, 50), "embed_p95_ms": pct(embed, 95),
            "search_p50_ms": pct(search, 50), "search_p95_ms": pct(search, 95),
            "cached_embed_p50_ms": pct(cached, 50)}


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
    from ingest.bank import QuestionBank
    from ingest.parse import parse_paths

    docs, _ = parse_paths([CORPUS])
    qs = [p.q for p in load_paraphrases()] + [i.question for i in QuestionBank.build(docs).items]
    return list(dict.fromkeys(qs))[:n]


def run_precision(fast: bool, queries: list[str], workdir: Path, threads: int | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"embed_threads": threads} if threads is not None else {}
    settings = Settings(data_dir=workdir / ("fast" if fast else "fp32"), corpus_dir=CORPUS,
                        embed_quantize=fast, **extra)
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
        if fast:
            out["llama_index_baseline"] = llama_index_baseline(services)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "reports" / "bench_retrieval.json")
    ap.add_argument("--threads", type=int, default=None, help="Settings.embed_threads (0 = torch default).")
    ap.add_argument("--skip-fp32", action="store_true", help="Only the fast (default) embedder.")
    args = ap.parse_args()
    queries = latency_queries()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        results["fast"] = run_precision(True, queries, Path(tmp), args.threads)
        if not args.skip_fp32:
            results["fp32"] = run_precision(False, queries, Path(tmp), args.threads)
    results["meta"] = {"embed_threads": Settings().embed_threads if args.threads is None else args.threads,
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                       "load_avg_1m": round(os.getloadavg()[0], 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
