"""One structured log line per LLM call (logger ``tutor.llm.client``) and the stats kept for callers."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

logger = logging.getLogger("tutor.llm.client")


@dataclass
class CallStats:
    """What one call cost. ``outcome``: 'ok', 'repaired' or the error class name."""

    purpose: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    ttft_s: float | None = None
    outcome: str = "ok"
    attempts: int = 0  # HTTP requests made (retries and the repair call included)
    prompt_per_s: float | None = None  # server-reported (llama.cpp "timings"), when available
    decode_per_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in data.items() if v is not None}


def log_call(stats: CallStats, messages: list[dict[str, str]] | None = None) -> None:
    """Emit the call as one JSON line; ``messages`` (verbose mode) adds the prompt to it."""
    record = stats.as_dict()
    if messages is not None:
        record["messages"] = messages
    level = logging.INFO if stats.outcome in ("ok", "repaired") else logging.WARNING
    logger.log(level, json.dumps(record, ensure_ascii=False))
