"""Retrieval quality and behaviour with the real embedder on the ingested corpus (slow)."""

from __future__ import annotations

import statistics
import time

import pytest

from evals.golden import load_paraphrases
from evals.metrics.retrieval import fact_relevance, hit_at_k, mrr_at_k
from tests.conftest import CORPUS
from tutor.answering.thresholds import ANSWERING
from tutor.core.types import Filters


@pytest.mark.parametrize("queries", ["default", "torch"])
def test_paraphrases_hit_at_5_and_mrr_at_10(ingested_services, queries: str) -> None:
    """Default query path (the int8 ONNX encoder once `tutor models fetch` built it) and torch, both
    over the same document vectors (bf16 on CPUs with native bf16, else fp32)."""
    from tutor.retrieval.retriever import Retriever

    s = ingested_services
    retriever = s.retriever if queries == "default" else Retriever(
        s.store, s.embedder.with_query_encoder(None), s.settings)
    rels = []
    for p in load_paraphrases():
        hits = retriever.search(p.q, k=10)
        rels.append(fact_relevance([h.chunk.text for h in hits], p.fact))
    hit5 = statistics.mean(hit_at_k(r, 5) for r in rels)
    mrr10 = statistics.mean(mrr_at_k(r, 10) for r in rels)
    assert len(rels) >= 60
    assert hit5 >= 0.95, (hit5, mrr10)
    assert mrr10 >= 0.90, (hit5, mrr10)


def test_every_bank_question_finds_its_source_chunk_in_top_5(ingested_services) -> None:
    missing = []
    for item in ingested_services.bank.items:
        hits = ingested_services.retriever.search(item.question, k=5)
        if not {h.chunk.chunk_id for h in hits} & set(item.source_chunk_ids):
            missing.append(item.question)
    assert len(ingested_services.bank.items) > 100
    assert missing == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "sparse"])
def test_dense_score_is_filled_in_every_mode(ingested_services, mode: str) -> None:
    hits = ingested_services.retriever.search("Что такое KV-cache?", k=5, mode=mode)
    assert len(hits) == 5 and all(h.dense_score is not None for h in hits)
    assert hits[0].dense_score > ANSWERING.min_relevance
    assert any("KV" in h.chunk.text for h in hits[:2])


def test_off_topic_query_scores_below_min_relevance(ingested_services) -> None:
    hits = ingested_services.retriever.search("рецепт борща со сметаной и чесноком", k=5)
    assert max(h.dense_score for h in hits) < ANSWERING.min_relevance


def test_filters_restrict_hits(ingested_services) -> None:
    f = Filters(doc=["llm-engineering-interview-questions.txt"], level=["killer"])
    hits = ingested_services.retriever.search("LoRA adapters", k=5, filters=f)
    assert hits and all(h.chunk.level == "killer" and h.chunk.doc == f.doc[0] for h in hits)


def test_noop_reingest_is_fast_and_writes_nothing(ingested_services) -> None:
    from ingest.pipeline import ingest_paths

    t0 = time.perf_counter()
    report = ingest_paths(ingested_services, [CORPUS])
    assert time.perf_counter() - t0 < 5
    assert not report.changed and report.chunks_upserted == report.chunks_deleted == 0
    assert len(report.docs_unchanged) == 4
