"""`tutor ingest [PATHS] [--rebuild] [--if-needed]`: bring the knowledge base in line with the notes."""

from __future__ import annotations

from pathlib import Path

import typer

from tutor.cli.common import echo_json, load_settings


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        paths: list[Path] = typer.Argument(None, help="Files or folders (default: settings.corpus_dir). "
                                                      "The knowledge base mirrors them: documents not "
                                                      "under PATHS are removed."),
        rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything into a new collection "
                                                               "and switch the alias atomically."),
        if_needed: bool = typer.Option(False, "--if-needed", help="Quiet no-op when nothing changed "
                                                                   "(for the run script)."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars (parsing in MB, embedding + writing in chunks) with the time left."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Override settings.data_dir."),
    ) -> None:
        """Parse, embed only new or changed chunks, delete removed ones; write the question bank."""
        from ingest.pipeline import ingest_paths
        from tutor.services import Services

        settings = load_settings(data_dir=data_dir)
        with Services(settings) as services:
            report = ingest_paths(services, paths or [settings.corpus_dir], rebuild=rebuild,
                                  progress=progress and not as_json)
        if as_json:
            echo_json(report)
        elif not (if_needed and not report.changed and not report.errors):
            typer.echo(report.summary())
        for err in report.errors:
            typer.secho(f"warning: {err}", err=True, fg=typer.colors.YELLOW)
