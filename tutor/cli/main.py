"""The ``tutor`` command. Area modules register their commands; none imports a heavy library at
module level, so ``tutor --help`` stays fast. TutorError is translated here into a readable message."""

from __future__ import annotations

import importlib
import sys

import typer

from tutor import __version__
from tutor.core.errors import TutorError

# Each name is a module tutor.cli.<name> exposing register(app: typer.Typer).
AREAS: tuple[str, ...] = ("models", "serve", "ask", "eval", "ui", "bank", "ingest", "retrieve", "practice")

app = typer.Typer(
    name="tutor",
    help="Interview tutor: cited answers from your notes, quizzes, rubric grading and evals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tutor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Interview tutor: cited answers from your notes, quizzes, rubric grading and evals."""


for _name in AREAS:
    importlib.import_module(f"tutor.cli.{_name}").register(app)


def main() -> None:
    try:
        app()
    except TutorError as err:
        typer.secho(f"error: {err.user_message()}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
