"""Launch the app: bind 127.0.0.1 unless configured, optional login from ``settings.auth``
("user:pass[,user2:pass2]"; per-user data is keyed by the login name), upload size limit."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio as gr

from tutor.core.errors import ConfigError
from tutor.core.settings import Settings
from ui.render import CSS, JS


def parse_auth(spec: str) -> list[tuple[str, str]]:
    """'ann:pw1, bob:pw2' -> [('ann', 'pw1'), ('bob', 'pw2')]; '' -> []."""
    pairs = []
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"TUTOR_AUTH entry '{user.strip() or item[:1]}…' is not 'user:password'.",
                              hint="Use TUTOR_AUTH='user:password[,user2:password2]'.")
        pairs.append((user.strip(), password))
    return pairs


def launch(demo: gr.Blocks, settings: Settings, *, host: str | None = None, port: int | None = None,
           share: bool = False, block: bool = True) -> str:
    """Start the server and return its local URL; ``block=False`` returns at once (tests)."""
    auth = parse_auth(settings.auth) or None
    # Only the eval reports (plots) are served from disk; never data_dir (SQLite, uploads, bank).
    allowed = [str(Path(settings.reports_dir).resolve())]
    _, url, _ = demo.launch(
        server_name=host or settings.host,
        server_port=port if port is not None else settings.port,
        share=share,
        auth=auth,
        auth_message="Interview tutor: sign in" if auth else None,
        ssr_mode=False,
        prevent_thread_lock=not block,
        max_file_size=settings.max_document_bytes,
        allowed_paths=allowed,
        css=CSS,
        js=JS,
        show_error=False,
        quiet=not block,
    )
    return str(url)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def running(demo: gr.Blocks, settings: Settings) -> Iterator[str]:
    """Serve ``demo`` on a free 127.0.0.1 port in the background; yields the URL, closes after."""
    url = launch(demo, settings, host="127.0.0.1", port=free_port(), block=False)
    try:
        yield url
    finally:
        demo.close()
