"""Reading a chat-completions reply (pure): JSON body, message text, schema validation."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tutor.core.errors import LLMOutputError

T = TypeVar("T", bound=BaseModel)


def json_body(raw: str) -> dict[str, Any]:
    """The reply as a dict; LLMOutputError if it is not a JSON object."""
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise LLMOutputError("The LLM server returned a response that is not JSON.",
                             raw=raw[:2000]) from err
    if not isinstance(data, dict):
        raise LLMOutputError("The LLM server returned JSON that is not an object.", raw=raw[:2000])
    return data


def message_text(data: dict[str, Any]) -> str:
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as err:
        raise LLMOutputError("The LLM server's reply has no choices[0].message.",
                             raw=json.dumps(data)[:2000]) from err
    return content or ""


def validate_reply(text: str, schema: type[T], data: dict[str, Any]) -> T:
    """Parse + validate; raises ValueError (json/pydantic) with a message the model can act on."""
    if (data.get("choices") or [{}])[0].get("finish_reason") == "length":
        raise ValueError("the output was cut off at max_tokens; write a shorter JSON object")
    try:
        return schema.model_validate_json(strip_fences(text))
    except ValidationError as err:
        raise ValueError(str(err)) from err


def strip_fences(text: str) -> str:
    """'```json\\n{..}\\n```' -> '{..}'; other text unchanged."""
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else ""
        t = t.rsplit("```", 1)[0]
    return t.strip()


def option_probabilities(data: dict[str, Any], options: Sequence[str]) -> dict[str, float]:
    """Probabilities of one-token options from a chat completion's first-token ``top_logprobs``
    (OpenAI format, served by llama.cpp and vLLM), renormalised over the options; a token counts
    for an option when it is the option after stripping spaces and case ('A', ' a').

    {'choices': [{'logprobs': {'content': [{'top_logprobs': [{'token': 'A', 'logprob': -0.1},
    {'token': 'B', 'logprob': -2.4}]}]}}]} with ('A', 'B', 'C') -> {'A': 0.91, 'B': 0.09, 'C': 0.0}.
    Raises ValueError when there are no log-probabilities or no option among them."""
    try:
        top = data["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    except (KeyError, IndexError, TypeError) as err:
        raise ValueError("no top_logprobs in the reply") from err
    mass = dict.fromkeys(options, 0.0)
    keys = {o.strip().lower(): o for o in options}
    for entry in top or []:
        option = keys.get(str(entry.get("token", "")).strip().lower())
        if option is not None and isinstance(entry.get("logprob"), int | float):
            mass[option] += math.exp(entry["logprob"])
    total = sum(mass.values())
    if total <= 0:
        raise ValueError(f"none of the options {list(options)} among the top tokens")
    return {o: m / total for o, m in mass.items()}
