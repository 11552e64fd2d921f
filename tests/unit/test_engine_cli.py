"""`tutor serve-llm` and `tutor models` through the real typer app (dry runs, temp dirs)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tutor.cli.main import app
from tutor.core.errors import ConfigError, ModelError
from tutor.llm.vllm import VLLM_MAIN

runner = CliRunner()


def test_serve_llm_vllm_dry_run_prints_the_vllm_command(monkeypatch):
    monkeypatch.setenv("TUTOR_VLLM_PYTHON", "/opt/vllm/bin/python")
    monkeypatch.setenv("TUTOR_LLM_MODEL", "tutor-llm")
    monkeypatch.setenv("TUTOR_LLM_API_KEY", "topsecret")
    res = runner.invoke(app, ["serve-llm", "--engine", "vllm", "--model", "Qwen/Qwen2.5-Coder-7B-Instruct",
                              "--tp", "2", "--max-model-len", "16384", "--dry-run"])
    assert res.exit_code == 0, res.output
    line = res.output.strip()
    assert line.startswith(f"/opt/vllm/bin/python -c '{VLLM_MAIN}' serve Qwen/Qwen2.5-Coder-7B-Instruct")
    assert "--tensor-parallel-size 2" in line and "--max-model-len 16384" in line
    assert "--served-model-name tutor-llm" in line and "topsecret" not in line


def test_serve_llm_vllm_needs_a_model():
    res = runner.invoke(app, ["serve-llm", "--engine", "vllm", "--dry-run"])
    assert isinstance(res.exception, ConfigError) and "--model" in str(res.exception)


def test_serve_llm_embedded_dry_run(monkeypatch, tmp_path):
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("TUTOR_LLM_GGUF", str(gguf))
    monkeypatch.setenv("TUTOR_LLM_PARALLEL", "2")
    res = runner.invoke(app, ["serve-llm", "--port", "8099", "--max-model-len", "2048", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert f"--gguf {gguf}" in res.output and "--ctx 4096" in res.output and "--port 8099" in res.output


def test_models_status_json_reports_missing_and_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("TUTOR_EMBED_MODEL", raising=False)
    monkeypatch.delenv("TUTOR_LLM_GGUF", raising=False)
    res = runner.invoke(app, ["models", "status", "--json"])
    rows = json.loads(res.stdout.strip().splitlines()[0])
    assert [r["state"] for r in rows] == ["missing", "missing", "missing"]  # embedder, LLM, int8 query encoder
    assert isinstance(res.exception, ModelError)


def test_models_fetch_nothing_to_do_for_user_models(monkeypatch, tmp_path):
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("TUTOR_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("TUTOR_EMBED_MODEL", "intfloat/multilingual-e5-small")
    monkeypatch.setenv("TUTOR_LLM_GGUF", str(gguf))
    res = runner.invoke(app, ["models", "fetch", "-q"])
    assert res.exit_code == 0 and "nothing to fetch" in res.output
    assert not (tmp_path / "models").exists()
