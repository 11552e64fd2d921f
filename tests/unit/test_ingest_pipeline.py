"""Incremental ingest on real parsing + embedded Qdrant, with the FakeEmbedder injected into Services."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.parse import parse_document, parse_text
from ingest.pipeline import ingest_paths, plan
from tests.fakes import FakeEmbedder
from tutor.core.errors import InputError
from tutor.core.settings import Settings
from tutor.services import Services

DOCS = {
    "lora.md": "# LoRA\n\n## Basic\n\nQ: Что такое LoRA?\nA: Low-Rank Adaptation: W' = W + BA, "
               "обучаются только A и B.\n\nQ: Зачем rank?\nA: Rank r задаёт ёмкость адаптера.\n",
    "kv.md": "# KV Cache\n\n## Basic\n\nQ: What is the KV cache?\nA: It stores attention keys and values "
             "of past tokens so decoding does not recompute them.\n",
    "rag.md": "# RAG\n\nRetrieval-augmented generation adds retrieved chunks to the prompt. Hybrid search "
              "fuses BM25 and dense results with reciprocal rank fusion.\n",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def services(tmp_path: Path):
    s = Services(Settings(data_dir=tmp_path / "data"))
    s.__dict__["embedder"] = FakeEmbedder()  # cached_property slot: no real model in unit tests
    yield s
    s.close()


def ids_of(services: Services, doc: str) -> set[str]:
    return services.store.manifest().get(doc, ("", set()))[1]


def test_cold_ingest_then_noop(services: Services, corpus: Path) -> None:
    first = ingest_paths(services, [corpus])
    assert sorted(first.docs_added) == sorted(DOCS) and first.chunks_upserted == first.chunks_total > 0
    assert services.settings.bank_path.exists() and first.bank_items >= 3
    calls = services.embedder.calls
    bank_mtime = services.settings.bank_path.stat().st_mtime_ns
    t0 = time.perf_counter()
    again = ingest_paths(services, [corpus])
    assert time.perf_counter() - t0 < 5
    assert sorted(again.docs_unchanged) == sorted(DOCS) and not again.changed
    assert again.chunks_upserted == again.chunks_deleted == 0
    assert services.embedder.calls == calls  # nothing embedded
    assert services.settings.bank_path.stat().st_mtime_ns == bank_mtime  # nothing written


def test_changed_doc_replaces_exactly_its_chunks(services: Services, corpus: Path) -> None:
    ingest_paths(services, [corpus])
    before_kv, before_lora = ids_of(services, "kv.md"), ids_of(services, "lora.md")
    (corpus / "lora.md").write_text(DOCS["lora.md"].replace("ёмкость адаптера", "ёмкость и число "
                                                            "параметров адаптера"), encoding="utf-8")
    report = ingest_paths(services, [corpus])
    after = ids_of(services, "lora.md")
    assert report.docs_changed == ["lora.md"] and sorted(report.docs_unchanged) == ["kv.md", "rag.md"]
    assert report.chunks_upserted == len(after - before_lora) == 1
    assert report.chunks_deleted == len(before_lora - after) == 1
    assert len(after & before_lora) == len(before_lora) - 1  # the unchanged question kept its point
    assert ids_of(services, "kv.md") == before_kv
    assert services.store.manifest()["lora.md"][0] == parse_document(corpus / "lora.md").sha256
    hits = services.retriever.search("число параметров адаптера", k=1, mode="sparse")
    assert "число параметров" in hits[0].chunk.text


def test_removed_doc_disappears(services: Services, corpus: Path) -> None:
    ingest_paths(services, [corpus])
    (corpus / "rag.md").unlink()
    report = ingest_paths(services, [corpus])
    assert report.docs_removed == ["rag.md"] and report.chunks_deleted > 0
    assert "rag.md" not in services.store.manifest()


def test_parse_error_is_reported_and_keeps_everything_else(services: Services, corpus: Path) -> None:
    ingest_paths(services, [corpus])
    kv = ids_of(services, "kv.md")
    (corpus / "kv.md").write_text("", encoding="utf-8")  # unreadable now: empty file
    (corpus / "new.md").write_text("# New\n\nSpeculative decoding drafts tokens with a small model.\n",
                                   encoding="utf-8")
    report = ingest_paths(services, [corpus])
    assert len(report.errors) == 1 and "kv.md" in report.errors[0]
    assert report.docs_added == ["new.md"] and report.docs_removed == []
    assert ids_of(services, "kv.md") == kv  # the old version stays searchable


def test_rebuild_switches_alias_and_drops_old_collection(services: Services, corpus: Path) -> None:
    ingest_paths(services, [corpus])
    old, count = services.store.target(), services.store.count()
    time.sleep(0.01)
    report = ingest_paths(services, [corpus], rebuild=True)
    names = {c.name for c in services.store.client.get_collections().collections}
    assert report.rebuilt and services.store.target() != old and old not in names
    assert services.store.count() == count == report.chunks_total


def test_missing_or_empty_inputs_change_nothing(services: Services, corpus: Path, tmp_path: Path) -> None:
    ingest_paths(services, [corpus])
    count = services.store.count()
    with pytest.raises(InputError, match="Not found: .*typo"):
        ingest_paths(services, [tmp_path / "typo"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="No supported documents"):
        ingest_paths(services, [tmp_path / "empty"])
    (tmp_path / "empty" / "slides.pptx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"1 \.pptx file not ingested: unsupported type \(slides.pptx\)"):
        ingest_paths(services, [tmp_path / "empty"])  # says why, and removes nothing
    assert services.store.count() == count


def test_plan_is_pure_diff() -> None:
    a = parse_text("a.md", DOCS["lora.md"], "sha1")
    stored = {"a.md": ("sha0", {a.chunks[0].chunk_id, "stale"}), "gone.md": ("x", {"g1"}),
              "broken.md": ("y", {"b1"})}
    p = plan([a], stored, keep=frozenset({"broken.md"}))
    assert p.changed == ["a.md"] and p.removed == ["gone.md"]
    assert [c.chunk_id for c in p.upsert] == [c.chunk_id for c in a.chunks[1:]]
    assert [c.chunk_id for c in p.refresh] == [a.chunks[0].chunk_id]
    assert sorted(p.delete) == ["g1", "stale"]
    same = plan([a], {"a.md": ("sha1", {c.chunk_id for c in a.chunks})})
    assert same.unchanged == ["a.md"] and not (same.upsert or same.delete or same.refresh)


def test_warm_searches_once_so_the_first_question_does_not_build_the_sparse_postings(services: Services,
                                                                                     corpus: Path) -> None:
    from tests.fakes import FakeLLM

    ingest_paths(services, [corpus])
    services.__dict__["llm"] = FakeLLM()
    searched: list[str] = []
    real = services.retriever.search
    services.retriever.search = lambda q, **kw: searched.append(q) or real(q, **kw)  # type: ignore[method-assign]
    services.warm()
    assert searched == ["warm up"]
