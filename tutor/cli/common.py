"""Small helpers shared by CLI modules (light imports only)."""

from __future__ import annotations

import json
from typing import Any

import typer

from tutor.core.settings import Settings


def load_settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def echo_json(obj: Any) -> None:
    """One JSON document (or line) on stdout, UTF-8, no ASCII escaping."""
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    typer.echo(json.dumps(obj, ensure_ascii=False))
