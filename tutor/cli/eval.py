"""`tutor eval`: retrieval / answers / grading / smoke suites -> reports/<timestamp>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tutor.cli.common import echo_json, load_settings


def _progress() -> tuple[Any, Any]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def cb(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="item", leave=True)
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return cb, close


def _print_report(report: Any) -> None:
    from evals.report import fmt

    typer.echo(f"report: {report.path}  ({report.duration_s:.0f} s, previous: {report.previous_id or 'none'})")
    delta = {d.name: d for d in report.delta}
    for name, value in report.metrics.items():
        d = delta.get(name)
        extra = "" if d is None or d.change is None else f"  ({d.change:+.3f}{' REGRESSION' if d.regression else ''})"
        typer.echo(f"  {name:48s} {fmt(value)}{extra}")
    for f in report.failures:
        typer.secho(f"FAIL {f}", fg=typer.colors.RED, err=True)


def _splits(split: str) -> tuple[str, ...]:
    if split not in ("tune", "test", "both"):
        raise typer.BadParameter("--split must be tune, test or both")
    return ("tune", "test") if split == "both" else (split,)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Evaluate retrieval, answers and the grader; write reports/.",
                      invoke_without_command=True, no_args_is_help=False)
    app.add_typer(sub, name="eval")

    @sub.callback()
    def run(
        ctx: typer.Context,
        suite: str = typer.Option("retrieval", help="retrieval | answers | ragas | grading | smoke | all"),
        limit: int | None = typer.Option(None, help="Use only the first N items of each set."),
        answers_limit: int | None = typer.Option(
            None, help="Ragas suite: golden questions to answer (default: --limit, else 12, one per "
                       "topic; 0 = all 197, hours on a CPU)."),
        judge_url: str | None = typer.Option(None, help="OpenAI-compatible URL of the judge model "
                                                        "(default: the tutor's own LLM)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        list_: bool = typer.Option(False, "--list", help="List earlier reports and exit."),
        reports_dir: Path | None = typer.Option(None, help="Where reports go (default reports/)."),
        data_dir: Path | None = typer.Option(None, help="Override settings.data_dir."),
        llm_timeout: float = typer.Option(600.0, help="Seconds per LLM request: evals are batch jobs "
                                                      "on a shared CPU, so the default is generous."),
        split: str = typer.Option("both", help="Answers / grading: the protocol's split to run: tune | test | both "
                                               "(fit on tune; read test once per design change)."),
        repeats: int | None = typer.Option(None, help="Grading: answers graded twice to check the score "
                                                      "repeats (default 5)."),
    ) -> None:
        """Run an eval suite (default: retrieval)."""
        if ctx.invoked_subcommand is not None:
            return
        from evals.api import list_reports, run_suite
        from tutor.services import Services

        settings = load_settings(data_dir=data_dir, llm_timeout=llm_timeout)
        out_dir = reports_dir or settings.reports_dir
        if list_:
            for s in list_reports(out_dir):
                echo_json(s) if as_json else typer.echo(f"{s.id}  {s.suite:9s} {s.duration_s:7.0f} s  {s.path}")
            return
        cb, close = _progress()
        with Services(settings) as services:
            try:
                report = run_suite(services, suite, limit, cb, judge_url=judge_url, reports_dir=out_dir,
                                   splits=_splits(split), n_repeat=repeats, answers_limit=answers_limit)
            finally:
                close()
        echo_json(report) if as_json else _print_report(report)
        if report.failures:
            raise typer.Exit(1)

    @sub.command("golden")
    def golden(out: Path | None = typer.Option(None, help="Output file (default evals/data/golden_v1.jsonl)."),
               data_dir: Path | None = typer.Option(None, help="Override settings.data_dir.")) -> None:
        """Rebuild the golden set from the question bank (needs `tutor ingest` first)."""
        from evals import golden as gd
        from evals.api import bank_items
        from tutor.services import Services

        with Services(load_settings(data_dir=data_dir)) as services:
            items = gd.build_golden(bank_items(services))
        path = out or gd.GOLDEN_PATH
        n = gd.write_jsonl(items, path)
        typer.echo(f"wrote {n} golden items to {path} (bank {items[0].bank_hash if items else '-'})")
