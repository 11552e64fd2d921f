"""tutor.retrieval.store on a real embedded Qdrant (temporary folder) with the deterministic FakeEmbedder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import FakeEmbedder
from tests.paths import REPO
from tutor.core.errors import StoreBusyError, StoreError
from tutor.core.settings import Settings
from tutor.core.types import Chunk, Filters
from tutor.retrieval.sparse import SparseEncoder
from tutor.retrieval.store import Store, open_store, point_id

TEXTS = [
    ("a.md", "LoRA", "basic", "qa", "LoRA добавляет низкоранговые матрицы A и B к замороженным весам."),
    ("a.md", "Quantization", "medium", "qa", "AWQ и GPTQ квантуют веса в INT4 с малой потерей качества."),
    ("b.md", "KV Cache", "basic", "section", "KV cache stores attention keys and values of past tokens."),
    ("b.md", "KV Cache", "killer", "table", "| GQA | 8 groups | KV cache 8x smaller than MHA |"),
]


def chunks() -> list[Chunk]:
    return [Chunk(chunk_id=f"{i:032x}", doc=d, topic=t, level=lv, kind=k, text=x)  # type: ignore[arg-type]
            for i, (d, t, lv, k, x) in enumerate(TEXTS, 1)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def store(settings: Settings):
    s = open_store(settings)
    emb, enc = FakeEmbedder(), SparseEncoder()
    s.ensure(emb.dim)
    cs = chunks()
    s.upsert(cs, emb.embed_documents([c.text for c in cs]), [enc.encode_document(c.text) for c in cs],
             doc_sha={"a.md": "sha-a", "b.md": "sha-b"})
    yield s
    s.close()


def search(store: Store, q: str, mode: str = "hybrid", filters: Filters | None = None, k: int = 4):
    emb, enc = FakeEmbedder(), SparseEncoder()
    return store.query(emb.embed_query(q), enc.encode_query(q), k=k, mode=mode,  # type: ignore[arg-type]
                       filters=filters)


def test_alias_points_at_a_timestamped_collection(store: Store) -> None:
    target = store.target()
    assert target is not None and target.startswith("tutor_chunks_") and store.count() == 4


def test_manifest_groups_ids_and_sha_by_doc(store: Store) -> None:
    m = store.manifest()
    assert m["a.md"] == ("sha-a", {f"{1:032x}", f"{2:032x}"})
    assert m["b.md"][0] == "sha-b" and len(m["b.md"][1]) == 2


@pytest.mark.parametrize("mode", ["hybrid", "dense", "sparse"])
def test_each_mode_finds_the_matching_chunk_and_fills_vectors(store: Store, mode: str) -> None:
    hits = search(store, "KV cache keys and values", mode)
    assert hits[0].chunk.text.startswith("KV cache stores")
    assert all(h.dense is not None and len(h.dense) == 64 for h in hits)


def test_filters_apply_to_every_mode(store: Store) -> None:
    for mode in ("hybrid", "dense", "sparse"):
        hits = search(store, "KV cache", mode, Filters(level=["killer"]))
        assert [h.chunk.level for h in hits] == ["killer"]
        hits = search(store, "веса", mode, Filters(doc=["a.md"], kind=["qa"], topic=["Quantization"]))
        assert {h.chunk.topic for h in hits} == {"Quantization"}


def test_delete_and_refresh_payload(store: Store) -> None:
    assert store.delete([f"{1:032x}"]) == 1
    c = chunks()[1].model_copy(update={"start": 99})
    store.refresh_payload([c], doc_sha={"a.md": "sha-a2"})
    assert store.manifest()["a.md"] == ("sha-a2", {f"{2:032x}"})
    assert store.count() == 3


def test_switch_alias_drops_the_old_collection(store: Store) -> None:
    old = store.target()
    new = store.create_collection(64)
    assert store.switch_alias(new) == old
    names = {c.name for c in store.client.get_collections().collections}
    assert store.target() == new and old not in names and store.count() == 0


def test_dimension_mismatch_is_a_readable_error(store: Store) -> None:
    with pytest.raises(StoreError, match="64-d vectors but the embedder makes 768-d"):
        store.ensure(768)


def test_point_ids_accept_hex_and_other_strings() -> None:
    assert point_id("6959de47fc675982b582a9bfcecba0c9") == "6959de47-fc67-5982-b582-a9bfcecba0c9"
    assert point_id("not-hex") == point_id("not-hex") != point_id("other")


def test_second_process_gets_store_busy_error(settings: Settings) -> None:
    held = open_store(settings)
    code = ("import sys\nfrom tutor.core.settings import Settings\nfrom tutor.retrieval.store import open_store\n"
            "from tutor.core.errors import StoreBusyError\n"
            f"try:\n    open_store(Settings(data_dir={str(settings.data_dir)!r}))\n"
            "except StoreBusyError as e:\n    print('BUSY', e)\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    finally:
        held.close()
    assert out.stdout.startswith("BUSY The knowledge base at"), out.stderr
    assert "in use by another tutor process" in out.stdout
    assert issubclass(StoreBusyError, StoreError)
