"""Pydantic JSON schema -> a schema accepted in strict structured-output mode (pure).

Both vLLM (xgrammar/guidance) and llama.cpp (json-schema-to-grammar) constrain decoding with it;
strict mode wants every object closed (``additionalProperties: false``) with every property
required. Defaults are dropped (the model must write every field; pydantic still validates).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

_DROP = ("default", "title")


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``{"type": "object", "properties": {...}, "required": [all], "additionalProperties": False}``
    for the model and every nested model under ``$defs``."""
    return _strict(copy.deepcopy(model.model_json_schema()))


_MAPS = ("properties", "$defs", "definitions", "patternProperties")


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key in _MAPS and isinstance(value, dict):  # keys are names (a field may be called "title")
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        else:
            out[key] = _strict(value)
    if "properties" in out:  # a model: closed, every field required. Free-form maps stay as they are.
        out["type"] = "object"
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def response_format(model: type[BaseModel], name: str | None = None) -> dict[str, Any]:
    """The OpenAI ``response_format`` for ``model`` (understood by vLLM and llama.cpp)."""
    return {"type": "json_schema",
            "json_schema": {"name": name or model.__name__, "schema": strict_schema(model), "strict": True}}
