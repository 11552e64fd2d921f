"""The embedded llama.cpp engine for real: start, serve the alias, stop."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tutor.core.settings import Settings
from tutor.llm.engine import EmbeddedEngine


def test_real_engine_starts_serves_the_alias_and_stops():
    settings = Settings(llm_context=1024, llm_parallel=1, llm_threads=2)
    with EmbeddedEngine(settings) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        root = url[:-3]
        assert httpx.get(f"{root}/health", timeout=5).json()["status"] == "ok"
        models = httpx.get(f"{url}/models", timeout=5).json()
        assert settings.llm_model in [m["id"] for m in models["data"]]
        props = httpx.get(f"{root}/props", timeout=5).json()
        assert props["default_generation_settings"]["n_ctx"] == 1024
        assert Path(props["model_path"]).name == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{root}/health", timeout=2)
