"""Progress tab: mastery per topic (bar chart), attempt history table, CSV export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ui.backend import Backend
from ui.common import guarded, user_of

HISTORY_COLUMNS = ["when", "topic", "question", "score", "status"]


def mastery_frame(rows: list[Any]) -> pd.DataFrame:
    """[MasteryRow(topic='RAG', mastery=0.5, attempts=2)] -> DataFrame(topic, mastery %, attempts, due)."""
    return pd.DataFrame(
        [{"topic": r.topic, "mastery": round(100 * r.mastery, 1), "attempts": r.attempts, "due": r.due}
         for r in rows],
        columns=["topic", "mastery", "attempts", "due"],
    )


def history_frame(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{c: getattr(r, c) for c in HISTORY_COLUMNS} for r in rows], columns=HISTORY_COLUMNS)


class ProgressTab:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.export_dir = Path(tempfile.mkdtemp(prefix="tutor-export-"))

    def refresh(self, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        mastery, history = self.backend.mastery(user), self.backend.attempts(user)
        frame = mastery_frame(mastery)
        return frame, frame, history_frame(history), f"{len(history)} attempts, {len(mastery)} topics."

    def export(self, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        path = self.backend.export_csv(user, self.export_dir / f"attempts-{user}.csv")
        return str(path), f"Exported to {path.name}."

    def build(self, tab: gr.Tab) -> None:
        """Lays out the tab; it refreshes itself whenever the user opens it."""
        refresh = gr.Button("Refresh", elem_id="progress-refresh")
        chart = gr.BarPlot(x="topic", y="mastery", title="Mastery per topic (%)", y_lim=[0, 100],
                           elem_id="progress-chart", sort="-y")
        table = gr.Dataframe(label="Mastery", interactive=False, elem_id="progress-mastery")
        history = gr.Dataframe(label="Attempt history", interactive=False, elem_id="progress-history")
        with gr.Row():
            export = gr.Button("Export CSV", elem_id="progress-export")
            file = gr.File(label="CSV", interactive=False)
        status = gr.Markdown(elem_id="progress-status")
        refresh.click(guarded(4)(self.refresh), None, [chart, table, history, status], api_name="progress")
        tab.select(guarded(4)(self.refresh), None, [chart, table, history, status], api_visibility="private")
        export.click(guarded(2)(self.export), None, [file, status], api_name="export_csv")
