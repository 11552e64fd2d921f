"""Deterministic fakes for unit tests of pure logic (prompts, parsing, scoring, fusion).

Behaviour claims are never tested with these: integration tests use the real models.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tutor.core.errors import LLMOutputError

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]


class FakeEmbedder:
    """Bag of hashed character trigrams -> unit vector. Similar texts get similar vectors."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        t = re.sub(r"\s+", " ", text.lower())
        for i in range(max(1, len(t) - 2)):
            h = int.from_bytes(hashlib.blake2b(t[i:i + 3].encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self._vec(text)


class FakeLLM:
    """Scripted LLM. ``reply`` is a string, a list of strings (consumed in order), or a function
    of the messages. Records every call in ``self.calls`` as (purpose, messages)."""

    model = "fake"
    context_window = 8192

    def __init__(self, reply: str | list[str] | Callable[[list[Message]], str] = "") -> None:
        self._reply = reply
        self.calls: list[tuple[str, list[Message]]] = []

    def _next(self, messages: list[Message]) -> str:
        if callable(self._reply):
            return self._reply(messages)
        if isinstance(self._reply, list):
            return self._reply.pop(0)
        return self._reply

    def complete(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
                 temperature: float = 0.0) -> str:
        self.calls.append((purpose, messages))
        return self._next(messages)

    def stream(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
               temperature: float = 0.0) -> Iterator[str]:
        text = self.complete(messages, purpose=purpose, max_tokens=max_tokens)
        for i in range(0, len(text), 7):
            yield text[i:i + 7]

    def structured(self, messages: list[Message], schema: type[T], *, purpose: str,
                   max_tokens: int = 1024, temperature: float = 0.0) -> T:
        raw = self.complete(messages, purpose=purpose, max_tokens=max_tokens)
        try:
            return schema.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as err:
            raise LLMOutputError(f"fake output does not match {schema.__name__}: {err}", raw=raw) from err

    def choose(self, messages: list[Message], options: Sequence[str], *, purpose: str) -> dict[str, float]:
        """The scripted reply read as the option picked ('A') or as probabilities ('{"A": 0.7, ...}'),
        renormalised over ``options``; anything else is the LLMOutputError a real client raises."""
        raw = self.complete(messages, purpose=purpose, max_tokens=1).strip()
        probs = json.loads(raw) if raw.startswith("{") else {raw: 1.0}
        mass = {o: float(probs.get(o, 0.0)) for o in options}
        total = sum(mass.values())
        if total <= 0:
            raise LLMOutputError(f"fake reply {raw!r} names none of {list(options)}", raw=raw)
        return {o: m / total for o, m in mass.items()}

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)


def reading_llm(follow_up: str = "А что с этим пунктом?") -> FakeLLM:
    """A fake judge that 'reads': a probe call picks A when the delimited answer contains option A,
    B when it contains option B, else C ('the text does not say'); other calls get ``follow_up``."""

    def reply(messages: list[Message]) -> str:
        text = messages[-1]["content"]
        if "Answer with the letter only." not in text:
            return follow_up
        answer = text.split("<<<ANSWER>>>", 1)[1].split("<<</ANSWER>>>", 1)[0].lower()
        a = re.search(r"^A\) (.*)$", text, re.M)
        b = re.search(r"^B\) (.*)$", text, re.M)
        if a and a.group(1).lower() in answer:
            return "A"
        if b and b.group(1).lower() in answer:
            return "B"
        return "C"

    return FakeLLM(reply)
