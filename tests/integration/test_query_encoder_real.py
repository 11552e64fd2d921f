"""The real int8 ONNX query encoder (built by `tutor models fetch`) against the torch model (slow)."""

from __future__ import annotations

from evals.golden import load_paraphrases
from evals.metrics.retrieval import fact_relevance
from tutor.text.similarity import cosine


def test_onnx_query_vectors_match_torch_and_retrieval_still_finds_the_source(ingested_services) -> None:
    emb = ingested_services.embedder
    assert emb.query_backend == "onnx-int8", "the default backend should be the artifact built by fetch"
    torch_emb = emb.with_query_encoder(None)  # same model and weights, torch query path
    paraphrases = load_paraphrases()
    sample = paraphrases[::12]  # 6 queries, Russian and English
    cos = [cosine(emb.embed_query(p.q), torch_emb.embed_query(p.q)) for p in sample]
    assert min(cos) >= 0.93 and sum(cos) / len(cos) >= 0.97, cos
    for p in sample[:3]:
        hits = ingested_services.retriever.search(p.q, k=5)
        assert any(fact_relevance([h.chunk.text for h in hits], p.fact)), (p.q, p.fact)
