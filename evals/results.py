"""Typed results shared by the suite runners and the report writer (pure)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from evals.metrics.stats import mean

ProgressCb = Callable[[str, int, int], None]  # (stage, done, total)
T = TypeVar("T")


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


def record_rows(items: Iterable[T], start: Callable[[T], dict[str, Any]], fill: Callable[[T, dict[str, Any]], None],
                progress: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """One row per item: ``start(item)`` (the labels), then ``fill(item, row)`` (the measured part);
    an exception from ``fill`` is kept as ``row["error"]`` so one broken item does not sink a long run."""
    out = []
    for item in items:
        row = start(item)
        try:
            fill(item, row)
        except Exception as err:  # noqa: BLE001 - recorded in the row, reported by the suite
            row["error"] = f"{type(err).__name__}: {err}"
        out.append(row)
        if progress:
            progress()
    return out
