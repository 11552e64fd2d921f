"""Sparse BM25 encoder: tokens, stemming by script, stable ids, BM25 TF weights, and IDF ranking
inside a real (in-memory) Qdrant collection."""

from __future__ import annotations

import subprocess
import sys

from tutor.retrieval.sparse import SparseEncoder, term_id
from tutor.text.words import terms


def test_terms_stem_by_script_and_drop_stopwords() -> None:
    assert terms("Что такое квантизация моделей?") == ["квантизац", "модел"]
    assert terms("What is caching of the keys") == ["cach", "key"]


def test_tech_tokens_are_kept_whole_and_split() -> None:
    assert terms("KV-cache") == ["kv-cache", "kv", "cach"]
    assert terms("KV cache") == ["kv", "cach"]  # still shares 'kv' and 'cach' with the compound
    assert "int8" in terms("веса в INT8") and "gqa" in terms("GQA vs MQA")
    assert "gpt-4o" in terms("GPT-4o, top-p.") and "top-p" in terms("GPT-4o, top-p.")


def test_yo_and_case_are_normalised() -> None:
    assert terms("Ёмкость") == terms("емкость")
    assert terms("LoRA") == terms("lora")


def test_term_ids_are_stable_across_processes() -> None:
    code = "from tutor.retrieval.sparse import term_id; print(term_id('kv-cache'), term_id('квантизац'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(term_id("kv-cache")), str(term_id("квантизац"))]
    assert 0 <= term_id("x") < 2**31 and term_id("a") != term_id("b")


def test_document_weights_saturate_and_normalise_by_length() -> None:
    enc = SparseEncoder(k1=1.2, b=0.75, avg_len=10)
    one = enc.encode_document("lora адаптер")
    three = enc.encode_document("lora lora lora адаптер")
    w = lambda v, t: dict(zip(v.indices, v.values, strict=True))[term_id(t)]  # noqa: E731
    assert w(one, "lora") < w(three, "lora") < 3 * w(one, "lora")  # grows, but sub-linearly
    assert w(three, "lora") < 1.2 + 1  # BM25 TF upper bound k1 + 1
    long = enc.encode_document("lora " + " ".join(f"слово{i}" for i in range(40)))
    assert w(long, "lora") < w(one, "lora")  # same tf in a longer text weighs less
    assert one.indices == sorted(one.indices)


def test_query_vector_is_binary_per_unique_term() -> None:
    q = SparseEncoder().encode_query("LoRA lora LoRA rank")
    assert sorted(q.indices) == sorted({term_id("lora"), term_id("rank")})
    assert q.values == [1.0, 1.0]
    assert SparseEncoder().encode_query("и в на the of").indices == []


def test_qdrant_idf_modifier_ranks_rare_terms_higher() -> None:
    from qdrant_client import QdrantClient, models

    client = QdrantClient(":memory:")
    client.create_collection("t", vectors_config={}, sparse_vectors_config={
        "sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)})
    enc = SparseEncoder()
    texts = ["attention attention модель", "модель квантизация", "модель обучение", "модель данные"]
    client.upsert("t", points=[models.PointStruct(id=i, vector={"sparse": models.SparseVector(
        indices=v.indices, values=v.values)}) for i, v in enumerate(map(enc.encode_document, texts))])
    q = enc.encode_query("квантизация модели")
    res = client.query_points("t", query=models.SparseVector(indices=q.indices, values=q.values),
                              using="sparse", limit=4).points
    assert res[0].id == 1  # the only doc with the rare term wins; 'модель' is everywhere
    client.close()
