"""Retrieval suite: hit@k, MRR@k, nDCG@k per mode (dense / sparse / hybrid) side by side, on the
paraphrase set (relevant = the hit text contains the fact) and the golden set (relevant = a gold
chunk id)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from evals.golden import GoldenItem, Paraphrase
from evals.metrics import retrieval as rm
from evals.results import ProgressCb, SuiteResult, Ticker, aggregate
from tutor.core.ports import Searcher
from tutor.core.types import Mode

MODES: tuple[Mode, ...] = ("dense", "sparse", "hybrid")


def _row(set_name: str, mode: Mode, qid: str, query: str, rels: list[int], k: int,
         n_relevant: int | None, latency: float) -> dict[str, Any]:
    row: dict[str, Any] = {"set": set_name, "mode": mode, "id": qid, "query": query,
                           "rels": rels, "latency_s": round(latency, 4)}
    row.update(rm.ranking_scores(rels, k, n_relevant))
    if n_relevant:
        row[f"recall@{k}"] = rm.recall_at_k(rels, k, n_relevant)
    return row


def run_retrieval(searcher: Searcher, paraphrases: Sequence[Paraphrase],
                  golden: Sequence[GoldenItem], *, k: int = 5, modes: Sequence[Mode] = MODES,
                  progress: ProgressCb | None = None) -> SuiteResult:
    t0 = time.perf_counter()
    result = SuiteResult(suite="retrieval")
    ticker = Ticker("retrieval", len(modes) * (len(paraphrases) + len(golden)), progress)
    rows: list[dict[str, Any]] = []
    for mode in modes:
        for p in paraphrases:
            t = time.perf_counter()
            hits = searcher.search(p.q, k=k, mode=mode)
            rels = rm.fact_relevance([h.chunk.text for h in hits], p.fact)
            rows.append(_row("paraphrase", mode, p.id, p.q, rels, k, None, time.perf_counter() - t))
            ticker.tick()
        for g in golden:
            t = time.perf_counter()
            hits = searcher.search(g.question, k=k, mode=mode)
            rels = rm.id_relevance([h.chunk.chunk_id for h in hits], g.gold_chunk_ids)
            rows.append(_row("golden", mode, g.id, g.question, rels, k, len(set(g.gold_chunk_ids)),
                             time.perf_counter() - t))
            ticker.tick()
    keys = [f"hit@{k}", f"mrr@{k}", f"ndcg@{k}"]
    for set_name in ("paraphrase", "golden"):
        for mode in modes:
            sel = [r for r in rows if r["set"] == set_name and r["mode"] == mode]
            if sel:
                extra = [f"recall@{k}"] if set_name == "golden" else []
                aggregate(sel, [*keys, *extra, "latency_s"], f"retrieval.{set_name}.{mode}.", result)
    result.rows = rows
    result.notes.append(f"{len(paraphrases)} paraphrases, {len(golden)} golden questions, k={k}")
    result.duration_s = time.perf_counter() - t0
    return result
