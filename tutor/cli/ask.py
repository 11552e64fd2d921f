"""`tutor ask` (one question, optional JSON) and `tutor chat` (a terminal conversation).

Heavy libraries are imported inside the commands only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.core.errors import TutorError

CHAT_MEMORY_TOKENS = 2000  # the chat remembers this much; the rewriter/answerer see less

if TYPE_CHECKING:  # pragma: no cover
    from tutor.answering.answer import AnswerEvent
    from tutor.core.types import Answer, Citation


def _tutor(services: Any) -> Any:
    """The answering pipeline (a seam the error tests replace with a tutor at a dead server)."""
    return services.tutor()


def answer_json(ans: Answer) -> dict[str, Any]:
    """The `tutor ask --json` document: the notes' part and the model's explanation apart."""
    keys = ("rewrite_s", "retrieve_s", "notes_s", "ttft_s", "generate_s", "total_s")
    return {"question": ans.question, "rewritten_query": ans.rewritten_query, "covered": ans.covered,
            "lang": ans.lang, "style": ans.style, "notes_origin": ans.notes_origin,
            "bank_question": ans.bank_question, "notes": ans.notes, "explanation": ans.explanation,
            "removed": [r.model_dump() for r in ans.removed], "answer": ans.text,
            "citations": [{"n": c.n, "doc": c.doc, "section": c.section, "chunk_id": c.chunk_id,
                           "origin": c.origin, "quotes": c.quotes, "text": c.text} for c in ans.citations],
            "looped": ans.looped,
            "timings": {k: round(ans.timings[k], 3) for k in keys if k in ans.timings}}


def _show_sources(sources: list[Citation], verbose: bool) -> None:
    for c in sources:
        how = "  (quoted above)" if c.origin == "notes" else "  (related)"
        typer.secho(f"  [{c.n}] {c.doc} — {c.section}{how}", fg=typer.colors.CYAN)
        if verbose:
            typer.echo("      " + c.text[:300].replace("\n", " ") + ("…" if len(c.text) > 300 else ""))


def _render(events: Any, verbose: bool) -> Answer:
    """Print a streamed answer (the notes at once, then any explanation as it comes); returns the
    final Answer. When the checks removed a sentence, the checked explanation is printed again."""
    answer = None
    for ev in events:
        ev_: AnswerEvent = ev
        if ev_.kind == "rewritten":
            typer.secho(f"↳ search: {ev_.text}", fg=typer.colors.YELLOW)
        elif ev_.kind == "notes":
            typer.echo(ev_.text)
        elif ev_.kind == "delta":
            typer.echo(ev_.text, nl=False)
        elif ev_.kind == "done":
            answer = ev_.answer
    typer.echo("")
    assert answer is not None
    if answer.removed or answer.looped:
        typer.secho("─" * 40 + " checked against the notes:", dim=True)
        typer.echo(answer.text.split("\n\n", 1)[-1] if answer.notes else answer.text)
    if answer.citations:
        typer.secho("sources:", bold=True)
        _show_sources(answer.citations, verbose)
    if verbose:
        typer.secho("timings: " + ", ".join(f"{k}={v:.2f}s" for k, v in answer.timings.items()), dim=True)
    return answer


def ask(question: str = typer.Argument(..., help="Your question (Russian or English)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show sources and timings."),
        style: str = typer.Option("", "--style", help="explain | more | simpler | english: the model explains "
                                  "the notes' answer (default: the notes alone, unless TUTOR_EXPLAIN=always).")
        ) -> None:
    """Answer one question: what your notes say (cited, verbatim); the model's explanation with --style."""
    from tutor.services import Services

    with Services(load_settings()) as services:
        tutor = _tutor(services)
        if as_json:
            echo_json(answer_json(tutor.ask(question, style=style)))
        else:
            _render(tutor.stream(question, style=style), verbose)


def chat(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show sources and timings.")) -> None:
    """A terminal conversation: follow-ups are searched with the question before them; /explain, /more,
    /simpler or /english has the model explain the last answer. Empty line or Ctrl-D quits."""
    from tutor.answering.answer import STYLES
    from tutor.answering.conversation import Turn, trim_history
    from tutor.llm.budget import approx_tokens
    from tutor.services import Services

    history: list[Turn] = []
    last = ""
    asked_in: list[Turn] = []  # the conversation the last question was asked in: /explain asks it there again
    with Services(load_settings()) as services:
        tutor = _tutor(services)
        while True:
            try:
                question = input("\n> ").strip()
            except EOFError:
                break
            if not question:
                break
            style = question[1:].lower() if question.startswith("/") else ""
            if style:  # '/explain', '/more', '/simpler', '/english': the last question, explained
                if style not in STYLES or not last:
                    typer.secho("Ask a question first; then /explain, /more, /simpler or /english explains it.",
                                fg=typer.colors.YELLOW)
                    continue
                question = last
            context = asked_in if style else history
            try:
                answer = _render(tutor.stream(question, context, style=style), verbose)  # type: ignore[arg-type]
            except TutorError as err:
                typer.secho(f"\nerror: {err.user_message()}".replace("\n", " ").strip(),
                            fg=typer.colors.RED)
                continue
            last, asked_in = question, list(context)
            history += [Turn(role="user", content=question), Turn(role="assistant", content=answer.text)]
            history = trim_history(history, CHAT_MEMORY_TOKENS, approx_tokens)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)
