"""Shared fixtures, and the tiers by folder.

- ``tests/unit``: deterministic fakes for models (``tests/fakes.py``); embedded Qdrant, SQLite and a
  local Gradio server in temporary folders are allowed (in-process, fast). ``make unit``.
- ``tests/integration`` (marked ``slow`` here): the real default models (provisioned by ``tutor models
  fetch`` into the shared model cache), the real embedded engine, an ingested copy of corpus/.
- ``tests/e2e`` (marked ``browser`` here): a real headless Chromium against the real server.

The expensive pieces (embedder, LLM engine, the ingested corpus) are built once per test session
here and shared by every test that needs them. ``make test`` runs every tier.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
os.environ.pop("OPENAI_API_KEY", None)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers by folder: integration -> slow, e2e -> browser."""
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier == "integration":
            item.add_marker(pytest.mark.slow)
        elif tier == "e2e":
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def fake_llm():
    from tests.fakes import FakeLLM

    return FakeLLM()


@pytest.fixture
def fake_embedder():
    from tests.fakes import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture
def cli_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``cli_notes(doc)``: one Markdown note as the corpus, a private data dir, and the CLI's
    embedder replaced by FakeEmbedder (for typer-level tests). Returns tmp_path."""
    from tests.fakes import FakeEmbedder

    def make(doc: str) -> Path:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "notes.md").write_text(doc, encoding="utf-8")
        monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TUTOR_CORPUS_DIR", str(corpus))
        monkeypatch.setattr("tutor.models.embedder.build_embedder", lambda settings: FakeEmbedder())
        return tmp_path
    return make


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tutor-data")


@pytest.fixture(scope="session")
def real_settings(session_data_dir: Path):
    """Settings on the real default models, with a private data dir for this test session."""
    from tutor.core.settings import Settings

    return Settings(data_dir=session_data_dir, corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def real_services(real_settings):
    """Services with real adapters; the embedded LLM engine starts on first use of ``.llm``."""
    from tutor.services import Services

    services = Services(real_settings)
    yield services
    services.close()


@pytest.fixture(scope="session")
def ingested_services(real_services):
    """real_services after ingesting corpus/ once (real embedder, embedded Qdrant)."""
    from ingest.pipeline import ingest_paths

    ingest_paths(real_services, [CORPUS])
    return real_services
