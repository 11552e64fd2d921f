"""The real default models are provisioned and verify (checksums)."""

from __future__ import annotations

from pathlib import Path

from tutor.core.settings import Settings
from tutor.models.provision import EMBED_SPEC, LLM_SPEC, QUERY_ARTIFACT, embedder_path, gguf_path, status


def test_real_models_are_provisioned_and_verify():
    settings = Settings()
    rows = status(settings, verify=True)
    assert {r.name: r.state for r in rows} == {EMBED_SPEC.name: "ready", LLM_SPEC.name: "ready",
                                               QUERY_ARTIFACT: "ready"}
    assert Path(embedder_path(settings), "model.safetensors").is_file()
    assert gguf_path(settings).stat().st_size > 1_000_000_000
