"""Pure LLM helpers: token estimate, budget fitting, strict schemas, SSE parsing, vLLM command."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from tutor.core.errors import ConfigError, LLMOutputError
from tutor.llm.budget import approx_tokens
from tutor.llm.sse import StreamState, parse_sse_line
from tutor.llm.strict_schema import response_format, strict_schema
from tutor.llm.vllm import VLLM_MAIN, VLLMOptions, build_vllm_command, redact, vllm_launcher


def words(text: str) -> int:
    return len(text.split())


def test_approx_tokens_counts_cyrillic_denser_than_latin():
    assert approx_tokens("") == 0
    assert approx_tokens("a") == 1
    assert approx_tokens("х" * 100) == 33
    assert approx_tokens("x" * 100) == 27
    assert approx_tokens("a\n    b") == 3  # whitespace is dear: 2 letters alone -> 1


class Inner(BaseModel):
    title: str = Field("", description="a field literally called title")
    tags: dict[str, int] = Field(default_factory=dict)


class Outer(BaseModel):
    verdict: Literal["yes", "no"]
    inner: Inner
    items: list[Inner] = Field(default_factory=list, max_length=3)
    note: str | None = None


def test_strict_schema_closes_every_model_and_requires_every_field():
    s = strict_schema(Outer)
    assert s["additionalProperties"] is False
    assert s["required"] == ["verdict", "inner", "items", "note"]
    inner = s["$defs"]["Inner"]
    assert inner["required"] == ["title", "tags"] and inner["additionalProperties"] is False
    assert "title" in inner["properties"]  # a field named like a keyword survives
    assert inner["properties"]["tags"]["additionalProperties"] == {"type": "integer"}  # maps stay maps
    assert "default" not in str(s) and s["properties"]["items"]["maxItems"] == 3
    assert Outer.model_json_schema()["required"] == ["verdict", "inner"]  # original untouched


def test_response_format_shape():
    rf = response_format(Outer)
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "Outer" and rf["json_schema"]["strict"] is True


def test_sse_parser_collects_deltas_usage_and_done():
    st = StreamState()
    assert parse_sse_line(": ping", st) == [] and parse_sse_line("", st) == []
    assert parse_sse_line('data: {"choices":[{"delta":{"role":"assistant"}}]}', st) == []
    assert parse_sse_line('data: {"choices":[{"delta":{"content":"Hi"}}]}', st) == ["Hi"]
    parse_sse_line('data: {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5}}', st)
    assert parse_sse_line("data: [DONE]", st) == [] and st.done
    st.check_complete()
    assert st.usage(len) == (5, 2) and st.text == "Hi"


def test_sse_parser_rejects_garbage_and_errors():
    with pytest.raises(LLMOutputError, match="not JSON"):
        parse_sse_line("data: {oops", StreamState())
    with pytest.raises(LLMOutputError, match="error mid-stream"):
        parse_sse_line('data: {"error": {"message": "kv cache full"}}', StreamState())
    st = StreamState()
    parse_sse_line('data: {"choices":[{"delta":{"content":"cut"}}]}', st)
    with pytest.raises(LLMOutputError, match="ended before"):
        st.check_complete()


def test_build_vllm_command_has_the_production_flags():
    opts = VLLMOptions("Qwen/Qwen2.5-Coder-7B-Instruct", served_model_name="tutor-llm", port=8001,
                       tensor_parallel=2, pipeline_parallel=2, max_model_len=16384,
                       gpu_memory_utilization=0.85, api_key="s3cret")
    cmd = build_vllm_command(opts, ["/opt/vllm/bin/python", "-c", VLLM_MAIN])
    assert cmd[:5] == ["/opt/vllm/bin/python", "-c", VLLM_MAIN, "serve", "Qwen/Qwen2.5-Coder-7B-Instruct"]

    def flag(name: str) -> str:
        return cmd[cmd.index(name) + 1]

    assert flag("--served-model-name") == "tutor-llm" and flag("--port") == "8001"
    assert flag("--tensor-parallel-size") == "2" and flag("--pipeline-parallel-size") == "2"
    assert flag("--max-model-len") == "16384" and flag("--gpu-memory-utilization") == "0.85"
    assert flag("--api-key") == "s3cret" and "--enable-prefix-caching" in cmd
    assert flag("--generation-config") == "vllm"  # sampling comes from the app's requests only
    assert "s3cret" not in redact(cmd) and "--api-key '***'" in redact(cmd)
    assert "--api-key" not in build_vllm_command(VLLMOptions("m", api_key="EMPTY"), ["vllm"])


def test_build_vllm_command_validates():
    with pytest.raises(ConfigError):
        build_vllm_command(VLLMOptions("m", tensor_parallel=0), ["vllm"])
    with pytest.raises(ConfigError):
        build_vllm_command(VLLMOptions("m", gpu_memory_utilization=1.5), ["vllm"])


def test_vllm_launcher_prefers_the_own_python_then_path(monkeypatch):
    assert vllm_launcher(python="/v/bin/python") == ["/v/bin/python", "-c", VLLM_MAIN]
    monkeypatch.delenv("TUTOR_VLLM_PYTHON", raising=False)
    assert vllm_launcher(which="/usr/local/bin/vllm") == ["/usr/local/bin/vllm"]
    with pytest.raises(ConfigError, match="TUTOR_VLLM_PYTHON"):
        vllm_launcher(python="", which="")


def test_docstring_examples():
    import doctest

    import tutor.llm.budget
    import tutor.llm.vllm

    for mod in (tutor.llm.budget, tutor.llm.vllm):
        assert doctest.testmod(mod).failed == 0
