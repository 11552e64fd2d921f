"""What the UI shows, as plain pydantic models. ``ui.backend`` converts lower-layer results into
these; the tabs and ``ui.render`` only know these. Importing this module loads no heavy library."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tutor.core.types import Answer, Citation

Verdict = Literal["covered", "partly", "missed", "contradicted"]


class ChatEvent(BaseModel):
    """One step of a streamed answer: the rewritten query, the sources, the notes' part, a piece of
    the explanation, or the end."""

    kind: Literal["rewritten", "sources", "notes", "delta", "done"]
    text: str = ""
    sources: list[Citation] = Field(default_factory=list)
    answer: Answer | None = None


class QuestionView(BaseModel):
    id: str
    topic: str = ""
    level: str | None = None
    question: str
    reason: str = Field("", description="Why this question was picked (e.g. 'due for review').")


class PointView(BaseModel):
    point: str
    verdict: Verdict
    evidence: str = ""


class GradeView(BaseModel):
    question_id: str
    question: str
    score: float = Field(description="0..max_score")
    max_score: float = 10.0
    points: list[PointView] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    factual_errors: list[str] = Field(default_factory=list)
    feedback: str = ""
    model_answer: str = ""
    citations: list[Citation] = Field(default_factory=list)
    follow_up: str = Field("", description="A drill-down question in the same context, if any.")
    gap: str = Field("", description="The key point the follow-up targets (the biggest gap).")
    lang: str = Field("ru", description="The answer's language (feedback and follow-up are in it).")
    follow_up_pending: bool = Field(False, description="follow_up is a template; the LLM's comes next.")
    matched_question: str = Field("", description="The bank question the answer was graded against.")
    rubric_origin: str = Field("", description="Where the key points come from: reviewed | structure | user | llm.")
    rubric_red_flags: list[str] = Field(default_factory=list, description="The rubric's red flags.")


class InterviewView(BaseModel):
    """A mock interview in progress; ``state`` is opaque to the UI and kept in gr.State."""

    state: dict = Field(default_factory=dict)
    question: QuestionView | None = None
    asked: int = Field(0, description="Questions asked so far, drill-downs included.")
    total: int = Field(0, description="Main questions planned (drill-downs come on top).")
    last_grade: GradeView | None = None
    finished: bool = False
    report_markdown: str = ""


class MasteryRow(BaseModel):
    topic: str
    mastery: float = Field(description="0..1")
    attempts: int = 0
    due: str = ""


class AttemptRow(BaseModel):
    when: str
    question_id: str
    question: str
    topic: str = ""
    score: float = 0.0
    status: str = "graded"


class EvalView(BaseModel):
    name: str
    suite: str = ""
    created: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    plots: list[str] = Field(default_factory=list, description="Image file paths.")
    path: str = ""


class DocRow(BaseModel):
    doc: str
    chunks: int = 0
    questions: int = 0
