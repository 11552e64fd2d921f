"""Lower-layer results -> ``ui.views``. Duck-typed on the documented fields (docs/grading.md,
docs/evals.md) so this module imports no heavy library and no other team's module."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tutor.types import BankItem
from ui.views import AttemptRow, DocRow, EvalView, GradeView, MasteryRow, PointView, QuestionView


def question_view(item: BankItem, *, reason: str = "", text: str | None = None) -> QuestionView:
    return QuestionView(id=item.id, topic=item.topic, level=item.level, question=text or item.question,
                        reason=reason)


def grade_view(g: Any) -> GradeView:
    """tutor.grading.schema.Grade -> GradeView (same field names; points re-wrapped)."""
    return GradeView(
        question_id=g.question_id, question=g.question, score=g.score, max_score=g.max_score,
        points=[PointView(point=p.point, verdict=p.verdict, evidence=p.evidence) for p in g.points],
        red_flags=list(g.red_flags), factual_errors=list(g.factual_errors), feedback=g.feedback,
        model_answer=g.model_answer, citations=list(g.citations), follow_up=g.follow_up,
    )


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def mastery_rows(progress: Any) -> list[MasteryRow]:
    """Progress(topics=[{topic, mastery, attempts, due}]) (objects or dicts) -> rows, weakest first."""
    topics = _field(progress, "topics", None) or _field(progress, "per_topic", None) or []
    if isinstance(topics, dict):
        topics = [{"topic": k, **(v if isinstance(v, dict) else v.model_dump())} for k, v in topics.items()]
    rows = []
    for t in topics:
        mastery = float(_field(t, "mastery", 0.0) or 0.0)
        rows.append(MasteryRow(topic=str(_field(t, "topic", "")), mastery=mastery / 10 if mastery > 1 else mastery,
                               attempts=int(_field(t, "attempts", 0) or 0),
                               due=str(_field(t, "due", "") or "")))
    return sorted(rows, key=lambda r: r.mastery)


def attempt_rows(store: Any, user: str) -> list[AttemptRow]:
    """The user's attempts, newest first, from the attempts store's history listing."""
    rows = []
    for a in store.history(user):
        score = _field(a, "score", None)
        rows.append(AttemptRow(when=str(_field(a, "created", "") or _field(a, "when", "")),
                               question_id=str(_field(a, "question_id", "") or ""),
                               question=str(_field(a, "question", "")), topic=str(_field(a, "topic", "") or ""),
                               score=float(score) if score is not None else 0.0,
                               kind=str(_field(a, "kind", "practice") or "practice")))
    return rows


def eval_view(r: Any) -> EvalView:
    """evals Report / ReportSummary -> EvalView; plot names resolved against the report folder."""
    path = Path(r.path)
    plots = [str(p if Path(p).is_absolute() else path / p) for p in getattr(r, "plots", [])]
    return EvalView(name=r.id, created=r.created, path=str(path), plots=[p for p in plots if Path(p).exists()],
                    metrics={k: float(v) for k, v in r.metrics.items() if v is not None})


def doc_rows(services: Any, items: list[BankItem]) -> list[DocRow]:
    """Chunk counts from the store, question counts from the bank, one row per document."""
    questions: Counter[str] = Counter(d for i in items for d in set(i.docs))
    chunks: dict[str, int] = dict(services.store.doc_counts())
    return [DocRow(doc=d, chunks=chunks.get(d, 0), questions=questions.get(d, 0))
            for d in sorted(set(chunks) | set(questions))]


def interview_report_md(report: Any) -> str:
    """InterviewReport(per_topic, strengths, gaps, reviews) -> Markdown (escaped later by the tab)."""
    render = getattr(report, "markdown", None)
    if callable(render):
        return str(render())
    lines = ["### Interview report"]
    per_topic = _field(report, "per_topic", {}) or {}
    items = per_topic.items() if isinstance(per_topic, dict) else [(_field(t, "topic"), t) for t in per_topic]
    lines += [f"- **{topic}**: {_score_text(v)}" for topic, v in items]
    for title in ("strengths", "gaps", "reviews"):
        values = _field(report, title, []) or []
        if values:
            lines += [f"\n**{title.capitalize()}**", *[f"- {v}" for v in values]]
    return "\n".join(lines)


def _score_text(v: Any) -> str:
    score = v if isinstance(v, int | float) else _field(v, "score", _field(v, "mean", None))
    return f"{float(score):.1f} / 10" if isinstance(score, int | float) else str(v)
