"""Grading data: what the LLM returns (``Judgement``) and what the app shows (``Grade``).

Pure pydantic: the LLM judges each key point; Python (``tutor.grading.score``) turns the verdicts
into the 0-10 score.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from tutor.types import Citation, Lang, Level

Verdict = Literal["covered", "partly", "missed", "contradicted"]


# --- LLM output (JSON schema sent to the server; keep it small: every token costs decode time) ---
# Python pairs every key point / red flag with the answer sentences closest to it (the evidence);
# the model only judges each pair, a task a small model does far better than finding evidence.
class PointJudgement(BaseModel):
    n: int = Field(description="Key point number.")
    verdict: Verdict


class FlagJudgement(BaseModel):
    n: int = Field(description="Red flag number.")
    shown: bool


class Judgement(BaseModel):
    points: list[PointJudgement]
    red_flags: list[FlagJudgement] = Field(default_factory=list)


@lru_cache(maxsize=64)
def judgement_schema(n_points: int, n_flags: int) -> type[Judgement]:
    """Judgement whose JSON schema asks for exactly one verdict per pair (``minItems`` =
    ``maxItems``), so the constrained decoder can neither stop early (a missing verdict would read
    as 'missed') nor ramble on past the last pair (extra items from a server that
    ignores maxItems are tolerated: unknown numbers are dropped by ``renumber``)."""
    return create_model(  # type: ignore[no-any-return]
        f"Judgement_{n_points}_{n_flags}", __base__=Judgement,
        points=(list[PointJudgement], Field(json_schema_extra={"minItems": n_points, "maxItems": n_points})),
        red_flags=(list[FlagJudgement], Field(default_factory=list, json_schema_extra={"maxItems": n_flags})))


class PairCheck(BaseModel):
    """LLM output for one (reference statement, candidate statement) pair the checks could not decide."""

    relation: Literal["agree", "contradict", "unrelated"]


class KeyPoints(BaseModel):
    """LLM output when deriving key points from a reference answer."""

    points: list[str] = Field(description="3-5 short facts a strong answer must state.")


# --- what the app sees ---------------------------------------------------------------------------
class PointResult(BaseModel):
    point: str
    verdict: Verdict
    evidence: str = Field("", description="Exact quote from the candidate's answer, '' if none.")


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
