"""Typed results shared by the suite runners and the report writer (pure)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from evals.metrics.stats import mean

ProgressCb = Callable[[str, int, int], None]  # (stage, done, total)


class SuiteResult(BaseModel):
    suite: str
    metrics: dict[str, float | None] = Field(default_factory=dict, description="Flat names -> value.")
    counts: dict[str, int] = Field(default_factory=dict, description="Items behind each metric.")
    rows: list[dict[str, Any]] = Field(default_factory=list, description="Per-item details.")
    notes: list[str] = Field(default_factory=list)
    duration_s: float = 0.0


def aggregate(rows: list[dict[str, Any]], keys: list[str], prefix: str,
              result: SuiteResult) -> None:
    """Mean of each key over rows that define it -> result.metrics[prefix + key] (+ counts)."""
    for key in keys:
        vals = [r[key] for r in rows if r.get(key) is not None]
        result.metrics[f"{prefix}{key}"] = mean(vals)
        result.counts[f"{prefix}{key}"] = len(vals)


class Ticker:
    """Thread-safe progress counter calling ``cb(stage, done, total)``."""

    def __init__(self, stage: str, total: int, cb: ProgressCb | None) -> None:
        self.stage, self.total, self.cb = stage, total, cb
        self.done = 0
        self._lock = threading.Lock()
        if cb:
            cb(stage, 0, total)

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            if self.cb:
                self.cb(self.stage, self.done, self.total)
