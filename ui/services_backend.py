"""``Backend`` on the real modules: answering (tutor.answering.answer), grading / quiz / interview / attempts
(tutor.grading, tutor.practice.quiz, tutor.practice.interview, tutor.practice.attempts), evals (evals.api) and ingest
(ingest.pipeline). The only UI module that knows their APIs; it converts results into ``ui.views``.

Gradio runs handlers in worker threads: searches go through one lock (one embedded Qdrant client),
per-user objects (quiz sessions, handed-out questions, interviews) are keyed by the user name."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tutor.core.errors import InputError, NotFoundError, TutorError
from tutor.core.types import BankItem, Filters, Hit, Mode
from tutor.services import Services
from ui.backend import ProgressCb
from ui.convert import attempt_rows, eval_view, grade_view, interview_report_md, mastery_rows, question_view
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

MAX_SESSIONS = 256


class LockedSearcher:
    """Serialises ``search`` calls from Gradio worker threads; everything else passes through."""

    def __init__(self, inner: Any, lock: threading.RLock) -> None:
        self._inner, self._lock = inner, lock

    def search(self, query: str, *, k: int = 5, mode: Mode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        with self._lock:
            return self._inner.search(query, k=k, mode=mode, filters=filters)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Lru(OrderedDict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_SESSIONS:
            self.popitem(last=False)


def _locked(fn: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return fn(*args, **kwargs)

    return call


class ServicesBackend:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self._lock = threading.RLock()
        # one search lock per Services, shared by every app built on it
        self._search: threading.RLock = services.__dict__.setdefault("_ui_search_lock", threading.RLock())
        self._quizzes = _Lru()
        self._issued = _Lru()
        self._interviews = _Lru()

    # --- shared pieces, built once -------------------------------------------------------------
    def _searcher(self) -> LockedSearcher:
        """The retriever wrapped in the search lock, installed on ``services`` once so that the
        grader and evals (which read ``services.retriever``) share the same lock."""
        with self._lock:
            current = self.services.retriever
            if not isinstance(current, LockedSearcher):
                current = LockedSearcher(current, self._search)
                self.services.__dict__["retriever"] = current
            return current

    def _tutor(self) -> Any:
        """The answering pipeline; every use of the store and the embedder goes through the search lock."""
        with self._lock:
            tutor = self.services.tutor(self._searcher())
        tutor.match = _locked(self.services.match_bank, self._search)
        tutor.chunks = _locked(self.services.store.get, self._search)
        return tutor

    def _grader(self, llm_follow_up: bool = True) -> Any:
        """The grader; ``llm_follow_up=False``: the practice tab's, whose follow-up comes later
        (``refine_follow_up``) so that the grade shows without waiting for it."""
        key = f"_grader_obj_{llm_follow_up}"
        with self._lock:
            if key not in self.__dict__:

                self._searcher()
                self.__dict__[key] = self.services.grader(llm_follow_up=llm_follow_up)
            return self.__dict__[key]

    def _quiz(self, user: str) -> Any:
        with self._lock:
            if user not in self._quizzes:
                from tutor.practice.quiz import Quiz

                self._quizzes.put(user, Quiz(self.services.bank, self.services.attempts, user=user))
            return self._quizzes[user]

    # --- chat ----------------------------------------------------------------------------------
    def ask(self, user: str, question: str, history: list[dict[str, str]], style: str = "") -> Iterator[ChatEvent]:
        from tutor.answering.conversation import history_from_messages

        for ev in self._tutor().stream(question, history_from_messages(history), style=style):
            yield ChatEvent(kind=ev.kind, text=ev.text, sources=ev.sources, answer=ev.answer)

    def neighbours(self, chunk_id: str) -> tuple[str, str]:
        with self._search:
            store = self.services.store
            found = store.get([chunk_id])
            if not found:
                return "", ""
            before, after = store.neighbours(found[0])
        return (before[-1].text if before else ""), (after[0].text if after else "")

    # --- practice ------------------------------------------------------------------------------
    def _items(self) -> list[BankItem]:
        return list(self.services.bank.items)

    def topics(self) -> list[str]:
        try:
            return [t for t in self.services.bank.topics() if t]
        except TutorError:  # no bank yet (not ingested): the picker is empty, the app still opens
            return []

    def next_question(self, user: str, topic: str | None, level: str | None,
                      review: bool = False) -> QuestionView:
        quiz = self._quiz(user)
        item = quiz.next(weakest=True) if review else quiz.next(topic=topic, level=level)
        self._issued.put(f"{user}\x00{item.id}", item)
        return question_view(item, reason="chosen for review" if review else "")

    def _issued_item(self, user: str, question_id: str) -> BankItem:
        item = self._issued.get(f"{user}\x00{question_id}")
        if item is None:
            raise InputError("This question was not handed out in this session.",
                             hint="Take a new question with Next question.")
        return item  # type: ignore[no-any-return]

    def grade(self, user: str, question_id: str, answer: str) -> GradeView:
        item = self._issued_item(user, question_id)
        return _pending(grade_view(self._quiz(user).submit(item, answer, self._grader(llm_follow_up=False))))

    def grade_follow_up(self, user: str, parent: GradeView, answer: str) -> GradeView:
        """Graded like the interview's drill-down: same bank item, rubric narrowed to the gap."""
        from tutor.practice.quiz import submit_answer

        item = self._issued_item(user, parent.question_id)
        rubric = item.model_copy(update={"key_points": [parent.gap], "red_flags": []}) if parent.gap else None
        quiz = self._quiz(user)
        grade = submit_answer(self.services.attempts, quiz.scheduler, self._grader(llm_follow_up=False), item,
                              answer, user=user, question=parent.follow_up, rubric=rubric)
        return _pending(grade_view(grade).model_copy(update={"question_id": parent.question_id}))

    def refine_follow_up(self, user: str, grade: GradeView) -> GradeView:
        from tutor.grading.schema import PointResult

        if not grade.follow_up_pending:
            return grade
        points = [PointResult(point=p.point, verdict=p.verdict, evidence=p.evidence) for p in grade.points]
        text = self._grader().follow_up_question(grade.question, grade.lang, points)
        return grade.model_copy(update={"follow_up": text, "follow_up_pending": False})

    def interview_start(self, user: str, topics: list[str], n: int) -> InterviewView:
        from tutor.practice.interview import MockInterview

        session = MockInterview(self._grader(), self.services.bank, self.services.attempts,
                                topics=topics or None, n=n, user=user)
        if session.current is None:
            raise NotFoundError("No gradable questions for these topics.", hint="Pick other topics.")
        key = uuid.uuid4().hex
        self._interviews.put(f"{user}\x00{key}", session)
        return InterviewView(state={"id": key}, question=self._interview_q(session.current), asked=1, total=n)

    @staticmethod
    def _interview_q(q: Any) -> QuestionView:
        return question_view(q.item, text=q.text, reason="drill-down" if q.drill_down else "")

    def interview_answer(self, user: str, view: InterviewView, answer: str) -> InterviewView:
        session = self._interviews.get(f"{user}\x00{view.state.get('id', '')}")
        if session is None:
            raise InputError("This mock interview has expired.", hint="Start a new one.")
        turn = session.answer(answer)
        last = grade_view(turn.grade)
        if turn.next is None:
            return view.model_copy(update={"finished": True, "last_grade": last, "question": None,
                                           "report_markdown": interview_report_md(session.report())})
        return view.model_copy(update={"question": self._interview_q(turn.next),
                                       "asked": view.asked + 1, "last_grade": last})

    # --- progress ------------------------------------------------------------------------------
    def mastery(self, user: str) -> list[MasteryRow]:
        return mastery_rows(self.services.attempts.progress(user))

    def attempts(self, user: str) -> list[AttemptRow]:
        return attempt_rows(self.services.attempts.attempts(user))

    def export_csv(self, user: str, path: Path) -> Path:
        self.services.attempts.export_csv(user, path)
        return path

    # --- evals ---------------------------------------------------------------------------------
    def eval_suites(self) -> list[str]:
        from evals.api import SUITES

        return list(SUITES)

    def run_eval(self, suite: str, limit: int | None, progress: ProgressCb) -> EvalView:
        from evals.api import run_suite

        return eval_view(run_suite(self.services, suite=suite, limit=limit, progress_cb=progress))

    def reports(self) -> list[EvalView]:
        from evals.api import list_reports

        return [eval_view(r) for r in list_reports(Path(self.settings.reports_dir))]

    # --- library -------------------------------------------------------------------------------
    def documents(self) -> list[DocRow]:
        from ui.convert import doc_rows

        items = self._items()
        with self._search:
            return doc_rows(self.services, items)

    def ingest(self, paths: list[Path], progress: ProgressCb) -> str:
        """``ingest_paths`` mirrors the store to the paths it is given (documents missing from them
        are removed), so uploads (already copied into ``upload_dir``) are always ingested together
        with the corpus folder."""
        from ingest.pipeline import ingest_paths

        folders = [p for p in (self.settings.corpus_dir, self.upload_dir()) if p.exists()]
        progress("ingest", 0, 1)
        with self._search:  # no searches while the store is rewritten
            report = ingest_paths(self.services, folders, progress=True)
            self.services.forget_bank()  # reload the rebuilt question bank and its question index
            for key in [k for k in self.__dict__ if k.startswith("_grader_obj_")]:
                del self.__dict__[key]  # graders built on the old bank
        progress("ingest", 1, 1)
        errors = f" Problems: {'; '.join(report.errors)}" if report.errors else ""
        return f"{report.summary()}.{errors}"

    def upload_dir(self) -> Path:
        return self.settings.data_dir / "uploads"


def _pending(view: GradeView) -> GradeView:
    """A grade with key points gets the LLM's follow-up next (an empty answer's is the question)."""
    return view.model_copy(update={"follow_up_pending": bool(view.points)})
