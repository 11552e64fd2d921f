"""The LLM client against the real default model (embedded engine, or TUTOR_LLM_BASE_URL if set)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Fact(BaseModel):
    answer: Literal["yes", "no"]
    acronym: str = Field(max_length=12)


def test_json_schema_response_validates_into_the_model(real_services):
    llm = real_services.llm
    messages = [
        {"role": "system", "content": "Answer with one compact JSON object."},
        {"role": "user", "content": "Text: «LoRA freezes the base model weights and trains small low-rank "
                                    "adapters.» Does the text say the base weights are frozen (answer yes or "
                                    "no)? acronym: the method's name exactly as written in the text."},
    ]
    out = llm.structured(messages, Fact, purpose="test-structured", max_tokens=40)
    assert isinstance(out, Fact)
    assert out.answer == "yes" and "lora" in out.acronym.lower()
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
    from tutor.llm.budget import approx_tokens

    text = "Что такое attention и зачем нужен KV-cache при декодировании?"
    exact = llm.count_tokens(text)
    assert exact == llm.count_tokens(text)
    assert 8 <= exact <= 40
    assert abs(approx_tokens(text) - exact) / exact < 0.5
