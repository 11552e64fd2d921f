"""Smoke thresholds: evals/thresholds.toml has [min] and [max] tables of flat metric names."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tutor.core.errors import ConfigError

THRESHOLDS_PATH = Path(__file__).resolve().parent / "thresholds.toml"


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, dict[str, float]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"Cannot read the thresholds file {path}: {err}") from err
    return {"min": dict(data.get("min", {})), "max": dict(data.get("max", {}))}


def check_thresholds(metrics: dict[str, float | None],
                     thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Readable failures: {'a': 0.5}, min {'a': 0.6} -> ['a = 0.500 is below the minimum 0.600']."""
    failures = []
    for name, bound in thresholds.get("min", {}).items():
        v = metrics.get(name)
        if v is None:
            failures.append(f"{name} was not measured (minimum {bound:.3f})")
        elif v < bound:
            failures.append(f"{name} = {v:.3f} is below the minimum {bound:.3f}")
    for name, bound in thresholds.get("max", {}).items():
        v = metrics.get(name)
        if v is None:
            failures.append(f"{name} was not measured (maximum {bound:.3f})")
        elif v > bound:
            failures.append(f"{name} = {v:.3f} is above the maximum {bound:.3f}")
    return failures
