"""`tutor ask` (one question, optional JSON) and `tutor chat` (a terminal conversation).

Heavy libraries are imported inside the commands only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.errors import TutorError

CHAT_MEMORY_TOKENS = 2000  # the chat remembers this much; the rewriter/answerer see less

if TYPE_CHECKING:  # pragma: no cover
    from tutor.answering import AnswerEvent
    from tutor.types import Answer, Citation


def _tutor(services: Any) -> Any:
    """The answering pipeline (a seam the error tests replace with a tutor at a dead server)."""
    return services.tutor()


def answer_json(ans: Answer) -> dict[str, Any]:
    """The `tutor ask --json` document."""
    keys = ("rewrite_s", "retrieve_s", "ttft_s", "generate_s", "attribute_s", "total_s")
    return {"question": ans.question, "rewritten_query": ans.rewritten_query, "answer": ans.text,
            "covered": ans.covered, "lang": ans.lang,
            "citations": [{"n": c.n, "doc": c.doc, "section": c.section, "chunk_id": c.chunk_id,
                           "origin": c.origin, "text": c.text} for c in ans.citations],
            "citation_check": ans.citation_check,
            "mixups": [m.model_dump() for m in ans.mixups], "looped": ans.looped,
            "timings": {k: round(ans.timings[k], 3) for k in keys if k in ans.timings}}


def _show_sources(sources: list[Citation], verbose: bool) -> None:
    for c in sources:
        how = {"matched": "  (matched by the checker: the model did not cite it)",
               "quoted": "  (quoted: the answer cited no source)"}.get(c.origin, "")
        typer.secho(f"  [{c.n}] {c.doc} — {c.section}{how}", fg=typer.colors.CYAN)
        if verbose:
            typer.echo("      " + c.text[:300].replace("\n", " ") + ("…" if len(c.text) > 300 else ""))


def _render(events: Any, verbose: bool) -> Answer:
    """Print a streamed answer; returns the final Answer (its text has citations checked)."""
    answer = None
    for ev in events:
        ev_: AnswerEvent = ev
        if ev_.kind == "rewritten":
            typer.secho(f"↳ search: {ev_.text}", fg=typer.colors.YELLOW)
        elif ev_.kind == "sources" and verbose and ev_.sources:
            typer.secho("sources given to the model:", dim=True)
            _show_sources(ev_.sources, verbose)
        elif ev_.kind == "delta":
            typer.echo(ev_.text, nl=False)
        elif ev_.kind == "done":
            answer = ev_.answer
    typer.echo("")
    assert answer is not None
    typer.secho("─" * 40, dim=True)
    typer.echo(answer.text)
    if answer.citations:
        typer.secho("cited:", bold=True)
        _show_sources(answer.citations, verbose)
    if verbose:
        typer.secho("timings: " + ", ".join(f"{k}={v:.2f}s" for k, v in answer.timings.items()), dim=True)
    return answer


def ask(question: str = typer.Argument(..., help="Your question (Russian or English)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show sources and timings.")) -> None:
    """Answer one question from your notes, with cited sources."""
    from tutor.services import Services

    with Services(load_settings()) as services:
        tutor = _tutor(services)
        if as_json:
            echo_json(answer_json(tutor.ask(question)))
        else:
            _render(tutor.stream(question), verbose)


def chat(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show sources and timings.")) -> None:
    """A terminal conversation: follow-ups are rewritten with the history. Empty line or Ctrl-D quits."""
    from tutor.budget import approx_tokens
    from tutor.conversation import Turn, trim_history
    from tutor.services import Services

    history: list[Turn] = []
    with Services(load_settings()) as services:
        tutor = _tutor(services)
        while True:
            try:
                question = input("\n> ").strip()
            except EOFError:
                break
            if not question:
                break
            try:
                answer = _render(tutor.stream(question, history), verbose)
            except TutorError as err:
                typer.secho(f"\nerror: {err.user_message()}".replace("\n", " ").strip(),
                            fg=typer.colors.RED)
                continue
            history += [Turn(role="user", content=question), Turn(role="assistant", content=answer.text)]
            history = trim_history(history, CHAT_MEMORY_TOKENS, approx_tokens)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)
