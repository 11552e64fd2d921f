"""Helpers shared by the tabs: who is asking, and turning lower-layer errors into a status line
(and a gr.Warning toast) instead of a stack trace. By convention every handler's LAST output is its
status line (a gr.Markdown)."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from tutor.core.errors import TutorError
from ui.render import status_line

log = logging.getLogger("tutor.ui")
LOCAL_USER = "local"
_USER_RE = re.compile(r"[^\w.@-]+")


def user_of(request: gr.Request | None) -> str:
    """The login name when auth is on, else 'local'. Only word characters, '.', '@', '-' kept."""
    name = getattr(request, "username", None) or LOCAL_USER
    return _USER_RE.sub("_", str(name))[:64] or LOCAL_USER


def _failure(err: BaseException, n_out: int) -> tuple[Any, ...]:
    if isinstance(err, TutorError):
        message = err.user_message()
    else:
        log.exception("UI handler failed")
        message = f"Something went wrong ({type(err).__name__}); the app keeps running. See the server log."
    gr.Warning(message)
    return tuple(gr.skip() for _ in range(n_out - 1)) + (status_line(message, error=True),)


def guarded(n_out: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a handler with ``n_out`` outputs: on error keep the other outputs, report in the status."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - the boundary: everything becomes a message
                return _failure(err, n_out)

        return wrapper

    return deco


def guarded_stream(n_out: int) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Same as ``guarded`` for generator handlers (streaming)."""

    def deco(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - the boundary: everything becomes a message
                yield _failure(err, n_out)

        return wrapper

    return deco
