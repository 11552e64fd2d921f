"""`tutor bank list|show|rubric|build|stats`: browse the question bank (settings.bank_path)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from ingest.parse import ParsedDocument
    from tutor.core.bank import QuestionBank
    from tutor.core.types import BankItem


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(items: list[BankItem]) -> str:
    rows = [f"{'ID':12}  {'TOPIC':24}  {'LEVEL':6}  QUESTION"]
    rows += [f"{i.id:12}  {_short(i.topic, 24):24}  {i.level or '-':6}  {_short(i.question, 80)}" for i in items]
    return "\n".join(rows)


def _details(item: BankItem) -> str:
    lines = [f"[{item.id}] {item.question}", f"topic: {item.topic}   level: {item.level or '-'}   "
             f"lang: {item.lang}   docs: {', '.join(item.docs)}"]
    lines += [f"also asked as: {q}" for q in item.question_alt]
    if item.reference_answer:
        lines += ["", "Reference answer:", item.reference_answer]
    lines += ["", *rubric_lines(item)]
    if item.weak_answer:
        lines += ["", f"Weak answer: {item.weak_answer}", f"Strong answer: {item.strong_answer}"]
    return "\n".join(lines)


def rubric_lines(item: BankItem) -> list[str]:
    """What an answer to this item is graded against (the rubric built at ingest)."""
    from tutor.grading.sources import rubric_of

    r = rubric_of(item)
    lines = [f"Rubric ({r.origin}; an answer is graded against these key points):"]
    lines += [f"  {n}. {p.text}" + (f"\n     check: {p.probe.question} -> {p.probe.right}" if p.probe else "")
              for n, p in enumerate(r.key_points, start=1)] or ["  (none: answers to it cannot be graded)"]
    if r.red_flags:
        lines += ["Red flags:", *[f"  - {f}" for f in r.red_flags]]
    return lines


def report(docs: list[ParsedDocument], bank: QuestionBank) -> str:
    """Chunks per document and kind, chunk lengths, and bank counts (the figures in docs/ingest.md)."""
    from collections import Counter

    lines = [f"{'DOCUMENT':42} {'CHUNKS':>6} {'MEAN':>5} {'MAX':>5}  KINDS"]
    for d in docs:
        sizes = [len(c.text) for c in d.chunks]
        kinds = ", ".join(f"{k} {n}" for k, n in Counter(c.kind for c in d.chunks).most_common())
        lines.append(f"{_short(d.doc, 42):42} {len(sizes):6} {sum(sizes) // len(sizes):5} {max(sizes):5}  {kinds}")
    sizes = [len(c.text) for d in docs for c in d.chunks]
    lines.append(f"{'all':42} {len(sizes):6} {sum(sizes) // len(sizes):5} {max(sizes):5}")
    lines.append("\nitems per document before merging: "
                 + ", ".join(f"{d.doc} {len(d.items)}" for d in docs))
    lines.append(f"bank: {len(bank.items)} questions after merging ({len(bank.aliases)} merged across documents)")
    for name, counts in bank.stats().items():
        lines.append(f"by {name}: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return "\n".join(lines)


def resolve(bank: QuestionBank, item_id: str) -> BankItem:
    """Exact id, or a unique id prefix (at least 4 characters)."""
    from tutor.core.errors import NotFoundError

    try:
        return bank.get(item_id)
    except NotFoundError:
        matches = [i for i in bank.items if len(item_id) >= 4 and i.id.startswith(item_id)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InputError(f"'{item_id}' matches {len(matches)} questions; give more of the id.") from None
        raise


def register(app: typer.Typer) -> None:
    bank = typer.Typer(help="Browse the question bank built by `tutor ingest`.", no_args_is_help=True)

    @bank.command("list")
    def list_cmd(
        topic: str | None = typer.Option(None, "--topic", help="Only this topic (see `tutor bank stats`)."),
        level: str | None = typer.Option(None, "--level", help="basic, medium or killer."),
        doc: str | None = typer.Option(None, "--doc", help="Only questions from this document file name."),
        as_json: bool = typer.Option(False, "--json", help="One JSON array on stdout."),
    ) -> None:
        """List questions as a table (id, topic, level, question)."""
        from tutor.core.bank import QuestionBank

        if level and level.lower() not in ("basic", "medium", "killer"):
            raise InputError(f"Unknown level '{level}'.", hint="Use basic, medium or killer.")
        qb = QuestionBank.load(load_settings().bank_path)
        items = qb.filter(topic=topic, level=level, doc=doc)
        if as_json:
            echo_json([i.model_dump(mode="json") for i in items])
            return
        if not items:
            raise InputError("No questions match these filters.",
                             hint=f"Topics: {', '.join(qb.topics())}")
        typer.echo(_table(items))
        typer.echo(f"\n{len(items)} of {len(qb.items)} questions")

    @bank.command("show")
    def show_cmd(
        item_id: str = typer.Argument(..., metavar="ID", help="Question id (or a unique prefix)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    ) -> None:
        """Everything known about one question: reference answer, key points, red flags."""
        from tutor.core.bank import QuestionBank

        item = resolve(QuestionBank.load(load_settings().bank_path), item_id)
        echo_json(item) if as_json else typer.echo(_details(item))

    @bank.command("rubric")
    def rubric_cmd(
        item_id: str = typer.Argument(..., metavar="ID", help="Question id (or a unique prefix)."),
        set_file: Path | None = typer.Option(None, "--set", help="Use this JSON rubric for the item from now "
                                             "on ({\"key_points\": [{\"text\": ...}], \"red_flags\": [...]})."),
        reset: bool = typer.Option(False, "--reset", help="Drop your rubric for the item (back to the notes')."),
        as_json: bool = typer.Option(False, "--json", help="Print the rubric as JSON."),
    ) -> None:
        """Show or correct the rubric an answer is graded against; your rubric file
        (<data_dir>/rubrics.json) survives re-ingest."""
        from tutor.core.bank import QuestionBank
        from tutor.core.types import Rubric
        from tutor.grading.rubric import load_user, save_user, with_rubrics
        from tutor.grading.sources import rubric_of

        settings = load_settings()
        qb = QuestionBank.load(settings.bank_path)
        item = resolve(qb, item_id)
        if set_file is not None or reset:
            user = load_user(settings.user_rubrics_path)
            if reset:
                user.pop(item.id, None)
            else:
                try:
                    user[item.id] = Rubric.model_validate_json(Path(set_file).read_text(encoding="utf-8"))  # type: ignore[arg-type]
                except (OSError, ValueError) as err:
                    raise InputError(f"Could not read a rubric from {set_file}: {str(err)[:300]}",
                                     hint="Start from `tutor bank rubric ID --json`.") from err
                if not user[item.id].key_points:
                    raise InputError("A rubric needs at least one key point.")
            save_user(settings.user_rubrics_path, user)
            qb.items = with_rubrics(qb.items, settings.user_rubrics_path)
            qb.save(settings.bank_path)
            item = qb.get(item.id)
        echo_json(rubric_of(item)) if as_json else typer.echo("\n".join(rubric_lines(item)))

    @bank.command("stats")
    def stats_cmd(as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout.")) -> None:
        """Question counts by topic, level and document."""
        from tutor.core.bank import QuestionBank

        stats = QuestionBank.load(load_settings().bank_path).stats()
        if as_json:
            echo_json(stats)
            return
        for name, counts in stats.items():
            typer.echo(f"by {name}:")
            for key, n in counts.items():
                typer.echo(f"  {n:4}  {key}")

    @bank.command("build")
    def build_cmd(
        paths: list[Path] = typer.Argument(None, help="Files or folders (default: settings.corpus_dir)."),
        show_report: bool = typer.Option(False, "--report", help="Print chunk and question counts."),
    ) -> None:
        """Parse documents and write only the question bank (no embedding; `tutor ingest` does both)."""
        from ingest.parse import parse_paths

        settings = load_settings()
        docs, errors = parse_paths(list(paths) if paths else [settings.corpus_dir], settings.max_document_bytes)
        for err in errors:
            typer.secho(f"skipped: {err.user_message()}", err=True, fg=typer.colors.YELLOW)
        if not docs:
            raise InputError("No document could be parsed, so no bank was written.")
        from ingest.bank import build_bank
        from tutor.grading.rubric import with_rubrics

        qb = build_bank(docs)
        qb.items = with_rubrics(qb.items, settings.user_rubrics_path)
        qb.save(settings.bank_path)
        typer.echo(f"{len(qb.items)} questions from {len(docs)} documents -> {settings.bank_path}")
        if show_report:
            typer.echo(report(docs, qb))

    app.add_typer(bank, name="bank")
