"""The port the tabs talk to. ``ui.services_backend.ServicesBackend`` implements it on the real
modules (answering, grading, quiz, interview, attempts, evals, ingest); unit tests pass a fake.
Every method may raise ``tutor.core.errors.TutorError`` with a readable message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from ui.views import (
    AttemptRow,
    ChatEvent,
    DocRow,
    EvalView,
    GradeView,
    InterviewView,
    MasteryRow,
    QuestionView,
)

ProgressCb = Callable[[str, int, int], None]  # (stage, done, total)
LEVELS = ("basic", "medium", "killer")


class Backend(Protocol):
    # --- chat ----------------------------------------------------------------------------------
    def ask(self, user: str, question: str, history: list[dict[str, str]], style: str = "") -> Iterator[ChatEvent]:
        """Stream an answer: rewritten? -> sources -> notes -> delta* -> done (with the final Answer).
        ``style``: '' (the default) | explain | more | simpler | english (how the model explains the notes)."""
        ...

    def neighbours(self, chunk_id: str) -> tuple[str, str]:
        """The text right before and after a chunk in its document ('' when none)."""
        ...

    # --- practice ------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        ...

    def next_question(self, user: str, topic: str | None, level: str | None,
                      review: bool = False) -> QuestionView:
        """A question for this user; ``review=True`` asks the scheduler what is due / weakest."""
        ...

    def grade(self, user: str, question_id: str, answer: str) -> GradeView:
        """Grade an answer to a question previously handed to this user; records the attempt."""
        ...

    def grade_follow_up(self, user: str, parent: GradeView, answer: str) -> GradeView:
        """Grade the answer to ``parent.follow_up`` in the context of the parent question."""
        ...

    def refine_follow_up(self, user: str, grade: GradeView) -> GradeView:
        """The grade with its follow-up written by the LLM for the biggest gap (``grade`` and
        ``grade_follow_up`` return at once with a template follow-up; this is the slower second step)."""
        ...

    def interview_start(self, user: str, topics: list[str], n: int) -> InterviewView:
        ...

    def interview_answer(self, user: str, view: InterviewView, answer: str) -> InterviewView:
        ...

    # --- progress ------------------------------------------------------------------------------
    def mastery(self, user: str) -> list[MasteryRow]:
        ...

    def attempts(self, user: str) -> list[AttemptRow]:
        ...

    def export_csv(self, user: str, path: Path) -> Path:
        ...

    # --- evals ---------------------------------------------------------------------------------
    def eval_suites(self) -> list[str]:
        ...

    def run_eval(self, suite: str, limit: int | None, progress: ProgressCb) -> EvalView:
        ...

    def reports(self) -> list[EvalView]:
        ...

    # --- library -------------------------------------------------------------------------------
    def documents(self) -> list[DocRow]:
        ...

    def ingest(self, paths: list[Path], progress: ProgressCb) -> str:
        """Ingest the given files; an empty list re-ingests the corpus folder and all uploads.
        Returns a one-line summary."""
        ...

    def upload_dir(self) -> Path:
        ...
