"""Chunks measured with the real embedding model: nothing is truncated, and every bank question
finds its own source chunk among the nearest chunks (the Q/A-never-split rule pays off)."""

from __future__ import annotations

import pytest

from ingest.bank import build_bank
from ingest.parse import parse_paths
from tests.paths import CORPUS


def _corpus():
    docs, errors = parse_paths([CORPUS])
    assert not errors
    return docs, build_bank(docs)


@pytest.mark.slow
def test_no_chunk_exceeds_the_embedder_window(real_settings) -> None:
    import json

    from transformers import AutoTokenizer

    folder = real_settings.model_dir / "embeddinggemma-300m"
    window = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    docs, _ = _corpus()
    lengths = [len(tokenizer(c.text)["input_ids"]) for d in docs for c in d.chunks]
    assert max(lengths) <= window // 4  # measured: max 436, mean 156 tokens; window 2048
    assert sum(lengths) / len(lengths) >= 60  # cards, not fragments


@pytest.mark.slow
def test_bank_questions_retrieve_their_own_chunks(ingested_services) -> None:
    """Dense search over the ingested corpus: a bank question's own source chunk is in the top 5."""
    bank = ingested_services.bank
    hits = 0
    for item in bank.items:
        found = ingested_services.retriever.search(item.question, k=5, mode="dense")
        hits += any(h.chunk.chunk_id in item.source_chunk_ids for h in found)
    rate = hits / len(bank.items)
    print(f"hit@5 (dense) of a question's own chunk: {rate:.3f} over {len(bank.items)} questions")
    assert rate >= 0.95  # measured: 1.000 (198/198)
