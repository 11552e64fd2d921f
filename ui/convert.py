"""Lower-layer results -> ``ui.views``. Duck-typed on the documented fields (docs/grading.md,
docs/evals.md) so this module imports no heavy library and no other team's module."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tutor.core.types import BankItem
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
        gap=g.gaps[0].point if g.gaps else "", lang=g.lang,
        matched_question=g.matched_question or g.question, rubric_origin=g.rubric_origin,
        rubric_red_flags=list(g.rubric_red_flags),
    )


def mastery_rows(progress: Any) -> list[MasteryRow]:
    """tutor.practice.attempts.Progress -> rows, weakest first; ``due`` = the topic's earliest due review."""
    due: dict[str, str] = {}
    for card in progress.due:
        topic, when = card.get("topic", ""), card.get("due", "")
        if when and (topic not in due or when < due[topic]):
            due[topic] = when
    rows = [MasteryRow(topic=t.topic or "(no topic)", mastery=t.mastery, attempts=t.attempts,
                       due=due.get(t.topic, "")[:16]) for t in progress.topics]
    return sorted(rows, key=lambda r: r.mastery)


def attempt_rows(attempts: list[Any]) -> list[AttemptRow]:
    """tutor.practice.attempts.Attempt list -> rows, newest first; unfinished attempts show their status."""
    rows = []
    for a in reversed(attempts):
        when = datetime.fromtimestamp(a.created, UTC).strftime("%Y-%m-%d %H:%M")
        rows.append(AttemptRow(when=when, question_id=a.question_id, question=a.question, topic=a.topic,
                               score=a.score if a.score is not None else 0.0,
                               status=a.status))
    return rows


def eval_view(r: Any) -> EvalView:
    """evals Report / ReportSummary -> EvalView; plot names resolved against the report folder."""
    path = Path(r.path)
    plots = [str(p if Path(p).is_absolute() else path / p) for p in getattr(r, "plots", [])]
    return EvalView(name=r.id, suite=r.suite, created=r.created, path=str(path), plots=[p for p in plots if Path(p).exists()],
                    metrics={k: float(v) for k, v in r.metrics.items() if v is not None})


def doc_rows(services: Any, items: list[BankItem]) -> list[DocRow]:
    """Chunk counts from the store, question counts from the bank, one row per document."""
    questions: Counter[str] = Counter(d for i in items for d in set(i.docs))
    chunks = {doc: len(ids) for doc, (_, ids) in services.store.manifest().items()}
    return [DocRow(doc=d, chunks=chunks.get(d, 0), questions=questions.get(d, 0))
            for d in sorted(set(chunks) | set(questions))]


def interview_report_md(report: Any) -> str:
    """tutor.practice.interview.InterviewReport -> Markdown (the tab escapes it with md_safe)."""
    lines = [f"### Interview report: {report.overall:.1f} / 10 over {report.turns} answers", ""]
    lines += [f"- **{t.topic}**: {t.mean:.1f} / 10 ({t.answers} answers)" for t in report.per_topic]
    if report.strengths:
        lines += ["", "**Strengths**", *[f"- {s}" for s in report.strengths]]
    if report.gaps:
        lines += ["", "**Gaps to work on**"]
        for g in report.gaps:
            cites = "; ".join(f"{c.doc} — {c.section}" for c in g.citations[:2])
            lines.append(f"- {g.topic}: {g.point} (question: {g.question})" + (f" — read: {cites}" if cites else ""))
    if report.reviews:
        lines += ["", "**Next reviews**", *[f"- {r.due:%Y-%m-%d}: {r.question}" for r in report.reviews]]
    return "\n".join(lines)
