"""Parsing an OpenAI-style chat-completions SSE stream (pure).

Lines look like ``data: {"choices":[{"delta":{"content":"Hi"}}]}`` and the stream ends with
``data: [DONE]``. llama.cpp adds ``timings`` and ``usage`` to the last chunk; vLLM sends ``usage``
when ``stream_options.include_usage`` is set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.core.errors import LLMOutputError


@dataclass
class StreamState:
    parts: list[str] = field(default_factory=list)
    chunks: int = 0
    finish_reason: str | None = None
    done: bool = False
    usage_data: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def check_complete(self) -> None:
        """A stream that ends without ``[DONE]`` or a finish_reason was cut off."""
        if not (self.done or self.finish_reason):
            raise LLMOutputError("The LLM server's stream ended before the answer was complete.",
                                 raw=self.text, hint="The server may have crashed or restarted; try again.")

    def usage(self, count: Callable[[str], int]) -> tuple[int, int]:
        """(prompt_tokens, completion_tokens): server-reported, else completion counted."""
        prompt = int(self.usage_data.get("prompt_tokens") or 0)
        completion = int(self.usage_data.get("completion_tokens") or 0)
        if not completion and self.parts:
            completion = count(self.text)
        return prompt, completion


def parse_sse_line(line: str, state: StreamState) -> list[str]:
    """Update ``state`` from one SSE line; returns the text deltas it carries.

    'data: {"choices":[{"delta":{"content":"Hi"}}]}' -> ['Hi']; 'data: [DONE]' -> [] (done);
    comments (': ping'), 'event:' lines and blank lines -> [].
    """
    line = line.strip()
    if not line.startswith("data:"):
        return []
    body = line[5:].strip()
    if body == "[DONE]":
        state.done = True
        return []
    try:
        chunk = json.loads(body)
    except ValueError as err:
        raise LLMOutputError("The LLM server sent a stream event that is not JSON.", raw=body[:500]) from err
    if not isinstance(chunk, dict):
        raise LLMOutputError("The LLM server sent a stream event that is not a JSON object.", raw=body[:500])
    if "error" in chunk:
        raise LLMOutputError(f"The LLM server reported an error mid-stream: {chunk['error']}", raw=body[:500])
    state.chunks += 1
    if isinstance(chunk.get("usage"), dict):
        state.usage_data = chunk["usage"]
    if isinstance(chunk.get("timings"), dict):
        state.timings = chunk["timings"]
    out = []
    for choice in chunk.get("choices") or []:
        if choice.get("finish_reason"):
            state.finish_reason = choice["finish_reason"]
        content = (choice.get("delta") or {}).get("content")
        if content:
            state.parts.append(content)
            out.append(content)
    return out
