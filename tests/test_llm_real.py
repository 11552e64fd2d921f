"""The LLM client against the real default model (embedded engine, or TUTOR_LLM_BASE_URL if set)."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

pytestmark = pytest.mark.slow


class Term(BaseModel):
    term: str = Field(max_length=40)
    lang: Literal["ru", "en"]


class Terms(BaseModel):
    terms: list[Term] = Field(min_length=1, max_length=4)


def test_json_schema_response_validates_into_the_model(real_services):
    llm = real_services.llm
    messages = [
        {"role": "system", "content": "Extract technical terms. Answer in JSON."},
        {"role": "user", "content": "Текст: «LoRA добавляет low-rank матрицы к замороженным весам; "
                                    "KV-cache ускоряет декодирование.»"},
    ]
    out = llm.structured(messages, Terms, purpose="test-structured", max_tokens=120)
    assert isinstance(out, Terms) and 1 <= len(out.terms) <= 4
    assert any("lora" in t.term.lower() or "kv" in t.term.lower() for t in out.terms)
    assert llm.last.outcome in ("ok", "repaired") and llm.last.completion_tokens > 0


def test_stream_yields_several_deltas_with_ttft(real_services):
    llm = real_services.llm
    deltas = list(llm.stream([{"role": "user", "content": "Count from 1 to 8 separated by spaces."}],
                             purpose="test-stream", max_tokens=30))
    assert len(deltas) >= 4
    text = "".join(deltas)
    assert "1" in text and "5" in text
    stats = llm.last
    assert stats.outcome == "ok" and stats.ttft_s is not None and 0 < stats.ttft_s <= stats.latency_s
    assert stats.completion_tokens >= len(deltas) - 1


def test_count_tokens_is_the_servers_exact_count(real_services):
    llm = real_services.llm
    from tutor.budget import approx_tokens

    text = "Что такое attention и зачем нужен KV-cache при декодировании?"
    exact = llm.count_tokens(text)
    assert exact == llm.count_tokens(text)
    assert 8 <= exact <= 40
    assert abs(approx_tokens(text) - exact) / exact < 0.5
