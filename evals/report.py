"""Reports: reports/<timestamp>/ with report.json, summary.md, summary.html (all text escaped),
PNG plots, and the delta against the previous report (regressions flagged)."""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.results import SuiteResult
from tutor.core.errors import NotFoundError

# Metrics never flagged: timings (shared CPU noise), counts of what a rule or check did, the judge's
# own agreement figures and partial answers' scores (no better direction). Lower is better for the
# rest of LOWER_IS_BETTER; everything else is higher-better.
NEUTRAL_ENDS = ("_s", "seconds", "_p50", "_max")
NEUTRAL = (".rule.", ".removed.", ".claims", ".judge.", "mean.partial", "style.partial/", "not_in_notes")
LOWER_IS_BETTER = ("repeat_stdev", ".failed", ".contradicted", ".contradicted_cited", "mean.wrong",
                   "style.wrong/", "style.injection/", "style.terms/", "style.off_topic/", "style.empty/")
REGRESSION_TOLERANCE = 0.02


class MetricDelta(BaseModel):
    name: str
    previous: float | None
    current: float | None
    change: float | None
    regression: bool = False


class ReportSummary(BaseModel):
    id: str
    path: Path
    created: str
    suite: str
    limit: int | None = None
    duration_s: float = 0.0
    metrics: dict[str, float | None] = Field(default_factory=dict)
    plots: list[str] = Field(default_factory=list, description="PNG names inside path.")


class Report(ReportSummary):
    settings: dict[str, Any] = Field(default_factory=dict)
    suites: list[SuiteResult] = Field(default_factory=list)
    delta: list[MetricDelta] = Field(default_factory=list)
    previous_id: str = ""
    failures: list[str] = Field(default_factory=list, description="Threshold failures (smoke).")


def new_report_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def direction(name: str) -> int:
    """+1 higher is better, -1 lower is better, 0 never flagged:
    'grading.test.pair_order' -> 1, 'grading.test.style.wrong/swapped' -> -1, 'x.latency_s' -> 0."""
    if name.endswith(NEUTRAL_ENDS) or any(part in name for part in NEUTRAL):
        return 0
    return -1 if any(part in name for part in LOWER_IS_BETTER) else 1


def compute_delta(current: dict[str, float | None], previous: dict[str, float | None],
                  tolerance: float = REGRESSION_TOLERANCE) -> list[MetricDelta]:
    """Per metric change; a quality metric moving the wrong way (``direction``) by more than
    ``tolerance`` (absolute) is a regression. Timings and counts are reported, never flagged."""
    out = []
    for name in sorted(set(current) | set(previous)):
        cur, prev = current.get(name), previous.get(name)
        change = cur - prev if cur is not None and prev is not None else None
        regression = False
        if change is not None and direction(name):
            regression = -direction(name) * change > tolerance
        out.append(MetricDelta(name=name, previous=prev, current=cur, change=change,
                               regression=regression))
    return out


def list_reports(reports_dir: Path) -> list[ReportSummary]:
    """Reports under reports_dir, newest first (directories without report.json are skipped)."""
    out = []
    for p in sorted(reports_dir.glob("*/report.json"), reverse=True):
        data = json.loads(p.read_text(encoding="utf-8"))
        out.append(ReportSummary.model_validate({**data, "path": p.parent}))
    return out


def load_report(path: Path) -> Report:
    f = path / "report.json" if path.is_dir() else path
    if not f.exists():
        raise NotFoundError(f"No report at {path}.", hint="List reports with `tutor eval --list`.")
    return Report.model_validate_json(f.read_text(encoding="utf-8"))


def previous_report(reports_dir: Path, suite: str, exclude: str) -> ReportSummary | None:
    """The newest earlier report of the same suite (different id)."""
    for s in list_reports(reports_dir):
        if s.id != exclude and s.suite == suite:
            return s
    return None


def fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.3f}"


def _metric_lines(report: Report) -> list[tuple[str, str, str, str]]:
    delta = {d.name: d for d in report.delta}
    rows = []
    for name, value in report.metrics.items():
        d = delta.get(name)
        change = "" if d is None or d.change is None else f"{d.change:+.3f}"
        rows.append((name, fmt(value), change, "REGRESSION" if d and d.regression else ""))
    return rows


def summary_markdown(report: Report) -> str:
    lines = [f"# Eval report {report.id}", "",
             f"suite `{report.suite}`, limit {report.limit}, {report.duration_s:.0f} s, "
             f"previous: {report.previous_id or 'none'}", ""]
    if report.failures:
        lines += ["**Threshold failures:**", *[f"- {f}" for f in report.failures], ""]
    lines += ["| metric | value | Δ vs previous | |", "|---|---|---|---|"]
    lines += [f"| {n} | {v} | {c} | {r} |" for n, v, c, r in _metric_lines(report)]
    for s in report.suites:
        lines += ["", f"## {s.suite} ({s.duration_s:.0f} s)", *[f"- {n}" for n in s.notes]]
    lines += ["", *[f"![{p}]({p})" for p in report.plots]]
    return "\n".join(lines) + "\n"


def summary_html(report: Report) -> str:
    e = html.escape
    rows = "".join(
        f"<tr{' class=reg' if r else ''}><td>{e(n)}</td><td>{e(v)}</td><td>{e(c)}</td><td>{e(r)}</td></tr>"
        for n, v, c, r in _metric_lines(report))
    fails = "".join(f"<li>{e(f)}</li>" for f in report.failures)
    notes = "".join(f"<h2>{e(s.suite)}</h2><ul>{''.join(f'<li>{e(n)}</li>' for n in s.notes)}</ul>"
                    for s in report.suites)
    imgs = "".join(f'<img src="{e(p)}" alt="{e(p)}" style="max-width:100%">' for p in report.plots)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Eval {e(report.id)}</title>"
            "<style>td{padding:2px 8px}.reg{background:#fdd}</style></head><body>"
            f"<h1>Eval report {e(report.id)}</h1><p>suite {e(report.suite)}, limit {e(str(report.limit))}, "
            f"{report.duration_s:.0f} s, previous {e(report.previous_id or 'none')}</p>"
            + (f"<p><b>Threshold failures</b></p><ul>{fails}</ul>" if fails else "")
            + f"<table><tr><th>metric</th><th>value</th><th>Δ</th><th></th></tr>{rows}</table>"
            f"{notes}{imgs}</body></html>")


def write_report(report: Report) -> Path:
    report.path.mkdir(parents=True, exist_ok=True)
    (report.path / "report.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (report.path / "summary.md").write_text(summary_markdown(report), encoding="utf-8")
    (report.path / "summary.html").write_text(summary_html(report), encoding="utf-8")
    return report.path
