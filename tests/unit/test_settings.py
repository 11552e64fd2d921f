"""Settings resolution: defaults, TUTOR_* env, tutor.toml, explicit kwargs (highest first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.core.settings import Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("TUTOR_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_work_with_nothing_set() -> None:
    s = Settings()
    assert s.llm_base_url == ""  # empty = start the embedded engine
    assert s.qdrant_url == ""  # empty = embedded Qdrant under data_dir
    assert s.qdrant_path == Path(".data") / "qdrant"
    assert s.sqlite_path.name.endswith(".sqlite3")
    assert s.host == "127.0.0.1"
    assert s.embed_model == "embeddinggemma-300m"
    assert s.top_k == 5


def test_env_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_LLM_BASE_URL", "http://gpu:8000/v1")
    monkeypatch.setenv("TUTOR_TOP_K", "7")
    monkeypatch.setenv("TUTOR_DATA_DIR", "~/tutor-data")
    s = Settings()
    assert s.llm_base_url == "http://gpu:8000/v1"
    assert s.top_k == 7
    assert s.data_dir == Path("~/tutor-data").expanduser()


def test_toml_is_read_and_env_beats_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tutor.toml").write_text('llm_model = "Qwen/Qwen2.5-7B-Instruct"\ntop_k = 3\n')
    assert Settings().llm_model == "Qwen/Qwen2.5-7B-Instruct"
    assert Settings().top_k == 3
    monkeypatch.setenv("TUTOR_TOP_K", "9")
    assert Settings().top_k == 9


def test_config_path_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('port = 9999\n')
    monkeypatch.setenv("TUTOR_CONFIG", str(cfg))
    assert Settings().port == 9999


def test_kwargs_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_PORT", "8000")
    assert Settings(port=8001).port == 8001


def test_invalid_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_RETRIEVAL_MODE", "telepathy")
    with pytest.raises(ValueError, match="retrieval_mode"):
        Settings()


def test_bf16_fast_path_needs_native_bf16_in_the_cpu_flags() -> None:
    from tutor.models.embedder import _BF16_FLAGS, cpu_flags

    xeon = "processor\t: 0\nflags\t\t: fpu sse avx512f avx512bw avx512_vnni\n"
    spr = "flags\t\t: avx512f amx_bf16 avx512_bf16 amx_tile\n"
    arm = "Features\t: fp asimd bf16 i8mm\n"
    assert not (cpu_flags(xeon) or set()) & _BF16_FLAGS  # AVX-512 alone: bf16 is emulated, use fp32
    assert (cpu_flags(spr) or set()) & _BF16_FLAGS and (cpu_flags(arm) or set()) & _BF16_FLAGS
    assert cpu_flags("model name: something\n") is None
