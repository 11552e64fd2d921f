"""Grading data: what the app shows (``Grade``). The LLM's per-point readings are numbers
(tutor.grading.judge); Python (``tutor.grading.score``) turns the verdicts into the 0-10 score.
Pure pydantic.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tutor.core.types import Citation, Lang, Level

Verdict = Literal["covered", "partly", "missed", "contradicted"]


# --- what the app sees ---------------------------------------------------------------------------
class PointResult(BaseModel):
    point: str
    verdict: Verdict
    evidence: str = Field("", description="The candidate's sentences judged for this point, '' if none.")
    similarity: float | None = Field(None, description="Cosine of the point and its closest answer sentence.")
    probe: dict[str, float] = Field(default_factory=dict, description="The judge's P(right), P(wrong), "
                                    "P(not said) and number of calls, when the point has a probe.")


class Grade(BaseModel):
    question: str
    question_id: str = ""
    topic: str = ""
    level: Level | None = None
    answer: str
    score: float = Field(ge=0, le=10)
    max_score: float = 10.0
    points: list[PointResult] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    factual_errors: list[str] = Field(default_factory=list)
    feedback: str = ""
    model_answer: str = ""
    citations: list[Citation] = Field(default_factory=list)
    follow_up: str = ""
    flags: list[str] = Field(default_factory=list)
    lang: Lang = "ru"
    matched_question: str = Field("", description="The bank phrasing the typed question was matched to.")
    match: str = Field("", description="given | same_text | matched | nearest_notes")
    match_score: float | None = None
    rubric_origin: str = Field("", description="structure | reviewed | llm | user")
    rubric_red_flags: list[str] = Field(default_factory=list, description="The rubric's red flags (shown).")
    timings: dict[str, float] = Field(default_factory=dict)

    def batch_line(self, id: str) -> dict[str, Any]:
        """The ``tutor grade --batch`` output line (evaluation scripts depend on this form)."""
        return {
            "id": id,
            "score": self.score,
            "max_score": self.max_score,
            "points": [p.model_dump() for p in self.points],
            "red_flags": list(self.red_flags),
            "factual_errors": list(self.factual_errors),
            "feedback": self.feedback,
            "follow_up": self.follow_up,
            "flags": list(self.flags),
        }

    @property
    def gaps(self) -> list[PointResult]:
        """Points not fully covered, worst first (contradicted, missed, partly)."""
        order = {"contradicted": 0, "missed": 1, "partly": 2}
        return sorted((p for p in self.points if p.verdict != "covered"), key=lambda p: order[p.verdict])
