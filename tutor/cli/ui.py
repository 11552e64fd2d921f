"""`tutor ui`: the Gradio app on 127.0.0.1 (unless --host / TUTOR_HOST says otherwise)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import typer

from tutor.cli.common import load_settings


def register(app: typer.Typer) -> None:
    @app.command("ui")
    def ui(
        host: str = typer.Option(None, "--host", help="Bind address (default 127.0.0.1 / TUTOR_HOST)."),
        port: int = typer.Option(None, "--port", help="Port (default 7860 / TUTOR_PORT)."),
        share: bool = typer.Option(False, "--share/--no-share", help="Create a public Gradio share link."),
    ) -> None:
        """Open the tutor web app: chat, practice, progress, evals, library."""
        from tutor.services import Services
        from ui.app import build_app
        from ui.launch import launch, parse_auth

        settings = load_settings(host=host, port=port)
        parse_auth(settings.auth)  # fail early with a readable message
        if settings.host not in ("127.0.0.1", "localhost") and not settings.auth:
            typer.secho(f"warning: binding {settings.host} without TUTOR_AUTH: anyone on the network can use "
                        "the app.", fg=typer.colors.YELLOW, err=True)
        with Services(settings) as services:
            threading.Thread(target=_warm, args=(services,), name="warm-up", daemon=True).start()
            typer.echo(f"Interview tutor on http://{settings.host}:{settings.port} (Ctrl+C to stop)")
            launch(build_app(services), settings, share=share, block=True)


def _warm(services: Any) -> None:
    """Start the models and the LLM engine while the user opens the page (the first answer then
    does not pay their start-up); a failure is logged, the first request reports it."""
    try:
        services.warm()
    except Exception as err:  # noqa: BLE001 - warming is best effort
        logging.getLogger("tutor.ui").warning("warm-up failed: %s", err)
