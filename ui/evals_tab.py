"""Evals tab: run a suite with a progress bar, show the metrics table and plots, list past reports."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.backend import Backend
from ui.common import guarded
from ui.views import EvalView


def metrics_frame(view: EvalView | None) -> pd.DataFrame:
    """EvalView(metrics={'a': 0.5}) -> DataFrame(metric='a', value=0.5), sorted by name."""
    items = sorted((view.metrics if view else {}).items())
    return pd.DataFrame([{"metric": k, "value": v} for k, v in items], columns=["metric", "value"])


def reports_frame(views: list[EvalView]) -> pd.DataFrame:
    """Newest first: report id, suite, created, number of metrics, folder."""
    columns = ["report", "suite", "created", "metrics", "folder"]
    return pd.DataFrame([[v.name, v.suite, v.created[:19], len(v.metrics), v.path] for v in views],
                        columns=columns)


class EvalsTab:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def run(self, suite: str, limit: float | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        def report(stage: str, done: int, total: int) -> None:
            progress((done, total) if total else None, desc=stage)

        progress(0, desc=f"Starting {suite}")
        view = self.backend.run_eval(suite, int(limit) if limit else None, report)
        reports = self.backend.reports()
        return (metrics_frame(view), view.plots, reports_frame(reports),
                f"Suite {suite} done: {len(view.metrics)} metrics, report {view.name}.")

    def list_reports(self) -> tuple[Any, ...]:
        reports = self.backend.reports()
        latest = reports[0] if reports else None
        return (metrics_frame(latest), latest.plots if latest else [], reports_frame(reports),
                f"{len(reports)} reports.")

    def build(self, concurrency: int) -> None:
        with gr.Row():
            suite = gr.Dropdown(self.backend.eval_suites(), value="smoke", label="Suite")
            limit = gr.Number(value=5, precision=0, label="Limit (items per suite, empty = all)")
            run = gr.Button("Run suite", variant="primary", elem_id="evals-run")
            refresh = gr.Button("Past reports", elem_id="evals-refresh")
        status = gr.Markdown(elem_id="evals-status")
        metrics = gr.Dataframe(label="Metrics", interactive=False, elem_id="evals-metrics")
        plots = gr.Gallery(label="Plots", columns=2, height="auto", elem_id="evals-plots")
        reports = gr.Dataframe(label="Reports (newest first)", interactive=False, elem_id="evals-reports")
        outs = [metrics, plots, reports, status]
        run.click(guarded(4)(self.run), [suite, limit], outs, api_name="run_eval",
                  concurrency_limit=1, concurrency_id="evals")
        refresh.click(guarded(4)(self.list_reports), None, outs, api_name="list_reports")
