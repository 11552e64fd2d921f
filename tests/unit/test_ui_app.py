"""The Gradio app over a scripted backend, driven through gradio_client against a launched server
(real HTTP, real queue, real per-session state). Real-model UI tests are in test_ui_real.py."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tutor.core.errors import LLMUnavailableError, NotFoundError
from tutor.core.types import Answer, Citation
from ui.chat_store import ChatStore
from ui.views import (
    AttemptRow,
    ChatEvent,
    DocRow,
    EvalView,
    GradeView,
    InterviewView,
    MasteryRow,
    PointView,
    QuestionView,
)

EVIL = "<script>window.__pwned=1</script><img src=x onerror=alert(1)>"
QUESTIONS = [QuestionView(id=f"q{i}", topic=t, level="basic", question=f"Question {i} about {t}?")
             for i, t in enumerate(["RAG", "LoRA", "RAG", "Tokenization"])]


class ScriptedBackend:
    """Deterministic backend: answers echo the question, grades count words, attempts in memory."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.attempt_log: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()
        self.ingested: list[list[Path]] = []
        self.fail_next_ask = False
        self.refined: list[str] = []

    def ask(self, user: str, question: str, history: list[dict[str, str]], style: str = "") -> Iterator[ChatEvent]:
        if self.fail_next_ask:
            self.fail_next_ask = False
            raise LLMUnavailableError("The LLM server is not reachable.", hint="Start it with tutor serve-llm.")
        if history:
            yield ChatEvent(kind="rewritten", text=f"{question} (after: {history[-2]['content']})")
        cite = Citation(n=1, chunk_id="c1", doc="notes.md", section="RAG > Basics",
                        text=f"Intro. Chunk for {user}. {EVIL}", quotes=[f"Chunk for {user}."])
        yield ChatEvent(kind="sources", sources=[cite])
        head = f"From your notes [1]:\n> Chunk for {user}.\n\nExplanation{' (' + style + ')' if style else ''}:\n"
        yield ChatEvent(kind="notes", text=head)
        text = f"Answer for {user} to: {question}"
        for i in range(0, len(text), 5):
            yield ChatEvent(kind="delta", text=text[i:i + 5])
        yield ChatEvent(kind="done", answer=Answer(question=question, text=head + text, citations=[cite],
                                                   notes=f"Chunk for {user}.", notes_origin="bank",
                                                   explanation=text, style=style))

    def neighbours(self, chunk_id: str) -> tuple[str, str]:
        return "The note before.", "The note after."

    def topics(self) -> list[str]:
        return sorted({q.topic for q in QUESTIONS})

    def next_question(self, user: str, topic: str | None, level: str | None, review: bool = False) -> QuestionView:
        pool = [q for q in QUESTIONS if topic in (None, q.topic)]
        if not pool:
            raise NotFoundError(f"No questions for topic '{topic}'.")
        q = pool[-1] if review else pool[0]
        return q.model_copy(update={"reason": "due for review" if review else ""})

    def _grade(self, user: str, qid: str, question: str, answer: str) -> GradeView:
        score = min(10.0, float(len(answer.split())))
        with self.lock:
            self.attempt_log.append((user, qid, score))
        return GradeView(question_id=qid, question=question, score=score,
                         points=[PointView(point="mentions retrieval", verdict="covered", evidence=answer[:20]),
                                 PointView(point="mentions reranking", verdict="missed")],
                         red_flags=[f"flag {EVIL}"], feedback=f"Feedback on: {answer}",
                         model_answer="Retrieve then generate [1].",
                         citations=[Citation(n=1, chunk_id="c1", doc="notes.md", section="RAG", text="chunk")],
                         follow_up=f"Tell me more about {question}", follow_up_pending=True)

    def grade(self, user: str, question_id: str, answer: str) -> GradeView:
        q = next(q for q in QUESTIONS if q.id == question_id)
        return self._grade(user, question_id, q.question, answer)

    def grade_follow_up(self, user: str, parent: GradeView, answer: str) -> GradeView:
        return self._grade(user, parent.question_id, parent.follow_up, answer).model_copy(
            update={"follow_up": "", "follow_up_pending": False})

    def refine_follow_up(self, user: str, grade: GradeView) -> GradeView:
        self.refined.append(grade.question)
        return grade.model_copy(update={"follow_up": f"Follow-up on {grade.question}", "follow_up_pending": False})

    def interview_start(self, user: str, topics: list[str], n: int) -> InterviewView:
        return InterviewView(state={"user": user, "i": 0}, question=QUESTIONS[0], asked=1, total=n)

    def interview_answer(self, user: str, view: InterviewView, answer: str) -> InterviewView:
        assert view.state["user"] == user
        g = self._grade(user, view.question.id if view.question else "", "q", answer)
        if view.asked >= view.total:
            return view.model_copy(update={"finished": True, "last_grade": g,
                                           "report_markdown": f"## Report\nStrengths: {EVIL}"})
        return view.model_copy(update={"question": QUESTIONS[view.asked], "asked": view.asked + 1,
                                       "last_grade": g})

    def mastery(self, user: str) -> list[MasteryRow]:
        mine = [s for u, _, s in self.attempt_log if u == user]
        return [MasteryRow(topic="RAG", mastery=sum(mine) / 10 / len(mine), attempts=len(mine))] if mine else []

    def attempts(self, user: str) -> list[AttemptRow]:
        return [AttemptRow(when="2026-01-01", question_id=q, question=q, score=s)
                for u, q, s in self.attempt_log if u == user]

    def export_csv(self, user: str, path: Path) -> Path:
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["question_id", "score"])
            w.writerows([(q, s) for u, q, s in self.attempt_log if u == user])
        return path

    def eval_suites(self) -> list[str]:
        return ["smoke", "retrieval"]

    def run_eval(self, suite: str, limit: int | None, progress: Callable[[str, int, int], None]) -> EvalView:
        for i in range(3):
            progress("items", i + 1, 3)
        return EvalView(name=f"{suite}-1", metrics={"hit@5": 0.9, "mrr": 0.7})

    def reports(self) -> list[EvalView]:
        return [EvalView(name="smoke-1", created="today", metrics={"hit@5": 0.9})]

    def documents(self) -> list[DocRow]:
        return [DocRow(doc="notes.md", chunks=3, questions=2)] + [
            DocRow(doc=p.name, chunks=1) for batch in self.ingested for p in batch]

    def ingest(self, paths: list[Path], progress: Callable[[str, int, int], None]) -> str:
        self.ingested.append(paths)
        progress("embedding", 1, 1)
        return f"Ingested {len(paths)} files."

    def upload_dir(self) -> Path:
        return self.tmp / "uploads"


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory):
    """(backend, url, chat store) for an app launched on a free 127.0.0.1 port with two logins."""
    from tutor.core.settings import Settings
    from ui.app import build_ui
    from ui.launch import running

    tmp = tmp_path_factory.mktemp("ui")
    backend = ScriptedBackend(tmp)
    chats = ChatStore(tmp / "tutor.sqlite3")
    settings = Settings(data_dir=tmp, auth="ann:pw-a,bob:pw-b")
    with running(build_ui(backend, chats), settings) as url:
        yield backend, url, chats


def text_of(message: dict) -> str:
    """Chatbot message content: a string or Gradio 6 parts [{'type': 'text', 'text': ...}]."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def client(url: str, user: str = "ann"):
    from gradio_client import Client

    return Client(url, auth=(user, f"pw-{user[0]}"), verbose=False)


def test_chat_streams_cited_answer_escaped_and_persisted_per_user(scripted):
    backend, url, chats = scripted
    ann = client(url, "ann")
    job = ann.submit("What is RAG?", api_name="/ask")
    steps = list(job)
    shown, _, sources, rewritten, status = job.result()
    assert len(steps) > 3  # streamed: several intermediate outputs before the last
    final = text_of(shown[-1])
    assert final.startswith("From your notes [[1]](#src-1):") and final.endswith("Answer for ann to: What is RAG?")
    assert "&lt;script&gt;" in sources and "<script>" not in sources
    assert "notes.md" in sources and "RAG &gt; Basics" in sources and "id='src-1'" in sources
    assert "<mark class='tutor-quote'>Chunk for ann.</mark>" in sources  # the quoted sentence, highlighted
    assert "The note before." in sources and "The note after." in sources  # neighbouring context
    assert status == "Done."
    simpler = ann.predict(api_name="/ask_simpler")
    assert text_of(simpler[0][-2]) == "(simpler) What is RAG?" and "Explanation (simpler)" in text_of(simpler[0][-1])
    assert simpler[3] == ""  # asked again in the conversation it was first asked in (none), not after itself
    follow = ann.predict("And why?", api_name="/ask")
    assert "Searched for:" in follow[3] and "What is RAG?" in follow[3]
    assert [m["role"] for m in chats.messages("ann")] == ["user", "assistant"] * 3
    assert chats.messages("bob") == []
    bob = client(url, "bob")
    restored = bob.predict(api_name="/chat_restore")
    assert restored[0] == []
    assert len(ann.predict(api_name="/chat_restore")[0]) == 6


def test_chat_error_is_a_readable_status_and_app_keeps_working(scripted):
    backend, url, _ = scripted
    bob = client(url, "bob")
    backend.fail_next_ask = True
    out = bob.predict("Hi?", api_name="/ask")
    assert "not reachable" in out[-1] and "Traceback" not in out[-1]
    assert bob.predict("Hi again?", api_name="/ask")[-1] == "Done."


def test_practice_question_grade_and_follow_up(scripted):
    backend, url, _ = scripted
    ann = client(url, "ann")
    fresh = ann.predict("LoRA", "Any", api_name="/next_question")
    assert "Question 1 about LoRA?" in fresh[0]
    card, fu_line, _, _, status = ann.predict("retrieval then <b>generation</b>", api_name="/grade")
    assert "Score: <b>3.0</b> / 10" in card and "&lt;b&gt;generation" in card
    assert "missed" in card and "&lt;script&gt;" in card and "<script>" not in card
    assert fu_line.startswith("**Follow-up:** Tell me more") and status.startswith("Graded")
    # the grade is shown first; the LLM's follow-up replaces the template in the chained step
    job = ann.submit(api_name="/refine_follow_up")
    assert job.result()[0] == "**Follow-up:** Follow-up on Question 1 about LoRA?"
    assert backend.refined.count("Question 1 about LoRA?") == 1
    fu_card, line, _, fu_status = ann.predict("rerank with a cross encoder", api_name="/follow_up")
    assert "Feedback on: rerank" in fu_card and fu_status.startswith("Follow-up graded")
    review = ann.predict(api_name="/review")
    assert "due for review" in review[0]


def test_grade_without_question_is_a_clear_message(scripted):
    _, url, _ = scripted
    out = client(url, "bob").predict("an answer", api_name="/grade")
    assert "Take a question first" in out[-1]


def test_mock_interview_runs_to_report(scripted):
    _, url, _ = scripted
    ann = client(url, "ann")
    card, _, _, _, status = ann.predict([], 2, api_name="/interview_start")
    assert "Question 0 about RAG?" in card and status.startswith("Question 1 (2 main")
    ann.predict("first answer", api_name="/interview_answer")
    card, _, last, report, status = ann.predict("second answer", api_name="/interview_answer")
    assert card == "" and "Score" in last and status.startswith("Interview finished")
    assert "&lt;script&gt;" in report and "<script>" not in report


def test_progress_is_per_user_and_exports_csv(scripted):
    backend, url, _ = scripted
    bob = client(url, "bob")
    bob.predict("Tokenization", "basic", api_name="/next_question")
    bob.predict("one two three four", api_name="/grade")
    _, table, history, status = bob.predict(api_name="/progress")
    assert [r for r in history["data"]] and all(row[2] != "" for row in history["data"])
    bob_attempts = [a for a in backend.attempt_log if a[0] == "bob"]
    assert status.startswith(f"{len(bob_attempts)} attempts")
    path, _ = bob.predict(api_name="/export_csv")
    with open(path) as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + len(bob_attempts)


def test_evals_run_and_list(scripted):
    _, url, _ = scripted
    metrics, _, reports, status = client(url).predict("smoke", 3, api_name="/run_eval")
    assert {r[0]: r[1] for r in metrics["data"]} == {"hit@5": 0.9, "mrr": 0.7}
    assert "smoke-1" in status and reports["data"][0][0] == "smoke-1"


def test_library_upload_validates_and_ingests(scripted, tmp_path):
    backend, url, _ = scripted
    from gradio_client import handle_file

    good = tmp_path / "My Notes.md"
    good.write_text("# RAG\nretrieval augmented generation\n")
    bad = tmp_path / "run.exe"
    bad.write_bytes(b"MZ")
    ann = client(url)
    table, status = ann.predict([handle_file(str(good))], api_name="/upload")
    assert "My_Notes.md" in status and backend.ingested[-1][0].name == "My_Notes.md"
    assert "My_Notes.md" in [r[0] for r in table["data"]]
    n = len(backend.ingested)
    with pytest.raises(Exception, match="Invalid file type"):  # gradio's own check, readable message
        ann.predict([handle_file(str(bad))], api_name="/upload")
    assert len(backend.ingested) == n
    assert "documents" in ann.predict(api_name="/documents")[-1]
    import zipfile

    vault = tmp_path / "Vault.zip"
    with zipfile.ZipFile(vault, "w") as z:
        z.writestr("Vault/.obsidian/app.json", "{}")
        z.writestr("Vault/GQA.md", "# GQA\n\nGrouped-query attention shares K/V heads, see [[KV cache]].\n")
    _, status = ann.predict([handle_file(str(vault))], api_name="/upload")
    folder = backend.upload_dir() / "Vault"
    assert "Uploaded Vault." in status and backend.ingested[-1][0] == folder
    assert (folder / ".obsidian").is_dir() and (folder / "Vault" / "GQA.md").is_file()


def test_data_dir_files_are_not_served_even_when_logged_in(scripted):
    import httpx

    _, url, chats = scripted
    with httpx.Client(base_url=url) as http:
        assert http.post("/login", data={"username": "ann", "password": "pw-a"}).status_code < 400
        assert http.get("/config").status_code == 200  # the session cookie works
        for route in ("/gradio_api/file=", "/file="):
            assert http.get(f"{route}{chats.path}").status_code >= 400
