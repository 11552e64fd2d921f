"""Lower-layer results -> UI views, on the real pydantic models of the other modules."""

from __future__ import annotations

from pathlib import Path

from tutor.core.types import BankItem, Citation
from tutor.grading.schema import Grade, PointResult
from tutor.practice.attempts import Attempt, Progress, TopicMastery
from ui.convert import attempt_rows, eval_view, grade_view, mastery_rows, question_view


def test_grade_view_keeps_every_field_the_card_shows():
    g = Grade(question="Q?", question_id="q1", answer="a", score=7.5,
              points=[PointResult(point="p", verdict="partly", evidence="a")], red_flags=["rf"],
              factual_errors=["x -> y"], feedback="fb", model_answer="ma [1]",
              citations=[Citation(n=1, chunk_id="c", doc="d.txt", section="s", text="t")], follow_up="Why?")
    v = grade_view(g)
    assert (v.question_id, v.score, v.max_score, v.follow_up) == ("q1", 7.5, 10.0, "Why?")
    assert v.points[0].verdict == "partly" and v.points[0].evidence == "a"
    assert v.red_flags == ["rf"] and v.factual_errors == ["x -> y"] and v.citations[0].doc == "d.txt"


def test_mastery_rows_weakest_first_with_earliest_due():
    p = Progress(user="u", attempts=3, graded=3, pending=0, mean_score=5.0,
                 topics=[TopicMastery(topic="RAG", attempts=2, mean_score=8, mastery=0.53),
                         TopicMastery(topic="LoRA", attempts=1, mean_score=2, mastery=0.1)],
                 due=[{"question_id": "a", "topic": "RAG", "due": "2026-02-01T10:00:00"},
                      {"question_id": "b", "topic": "RAG", "due": "2026-01-01T10:00:00"}])
    rows = mastery_rows(p)
    assert [r.topic for r in rows] == ["LoRA", "RAG"]
    assert rows[1].due == "2026-01-01T10:00" and rows[0].due == ""


def test_attempt_rows_newest_first_and_pending_shown():
    attempts = [Attempt(id=1, user="u", question_id="q1", question="Q1", answer="a", status="graded",
                        score=6.0, created=0.0),
                Attempt(id=2, user="u", question_id="q2", question="Q2", answer="b", status="pending",
                        created=60.0)]
    rows = attempt_rows(attempts)
    assert [r.question for r in rows] == ["Q2", "Q1"]
    assert rows[0].status == "pending" and rows[1].score == 6.0 and rows[1].when == "1970-01-01 00:00"


def test_question_view_and_eval_view(tmp_path: Path):
    item = BankItem(id="i", topic="RAG", level="killer", question="Q?")
    assert question_view(item, text="Drill?").question == "Drill?"
    (tmp_path / "a.png").write_bytes(b"png")
    from evals.report import ReportSummary

    class R(ReportSummary):
        plots: list[str] = []

    r = R(id="20260101", path=tmp_path, created="now", suite="smoke", metrics={"m": 0.5, "none": None},
          plots=["a.png", "missing.png"])
    v = eval_view(r)
    assert v.metrics == {"m": 0.5} and v.plots == [str(tmp_path / "a.png")] and v.name == "20260101"


def test_interview_report_markdown_lists_topics_gaps_and_reviews():
    from datetime import datetime

    from tutor.practice.interview import Gap, InterviewReport, Review, TopicScore
    from ui.convert import interview_report_md

    r = InterviewReport(overall=6.25, per_topic=[TopicScore(topic="RAG", mean=6.25, answers=2)],
                        strengths=["RAG: chunking"],
                        gaps=[Gap(topic="RAG", question="Q?", point="reranking",
                                  citations=[Citation(n=1, chunk_id="c", doc="d.txt", section="S", text="")])],
                        reviews=[Review(question_id="q", question="Q?", due=datetime(2026, 1, 2))], turns=2)
    md = interview_report_md(r)
    assert "6.2 / 10 over 2 answers" in md or "6.3 / 10 over 2 answers" in md
    assert "- **RAG**: 6.2" in md or "- **RAG**: 6.3" in md
    assert "reranking" in md and "d.txt — S" in md and "2026-01-02: Q?" in md and "RAG: chunking" in md
