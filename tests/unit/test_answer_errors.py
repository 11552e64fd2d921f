"""Answering while the LLM server misbehaves (down / hung / garbage), through the real LLMClient and
real sockets: the user gets a readable TutorError, `tutor chat` prints one line and keeps going."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from tests.unit.test_answer_flow import HITS, SETTINGS, FakeSearcher
from tests.unit.test_llm_client import ScriptedServer, SilentServer, closed_port, delta, json_reply, sse_reply
from tutor.answering.answer import Tutor
from tutor.cli import ask as ask_cli
from tutor.cli.main import app
from tutor.core.errors import LLMOutputError, LLMTimeoutError, LLMUnavailableError, TutorError
from tutor.llm.client import LLMClient

TOKENIZE = {"/tokenize": json_reply({"tokens": [1, 2, 3]})}


def tutor_at(url: str, timeout: float = 180.0) -> Tutor:
    llm = LLMClient(url, "m", timeout=timeout, connect_timeout=1.0, max_retries=1, backoff_s=0.01)
    return Tutor(FakeSearcher(HITS), llm, SETTINGS)


def test_server_down_is_a_readable_unavailable_error():
    with pytest.raises(LLMUnavailableError) as err:
        tutor_at(f"http://127.0.0.1:{closed_port()}/v1").ask("Что такое LoRA?")
    assert "127.0.0.1" in str(err.value) and err.value.user_message().strip()


def test_hung_server_times_out_with_a_readable_error():
    server = SilentServer()
    try:
        t0 = time.perf_counter()
        with pytest.raises(LLMTimeoutError):
            tutor_at(f"http://127.0.0.1:{server.port}/v1", timeout=1.0).ask("Что такое LoRA?")
        assert time.perf_counter() - t0 < 15
    finally:
        server.close()


@pytest.mark.parametrize("reply", [
    json_reply(b"<html>502 bad gateway</html>"),
    sse_reply(["{not json"]),
    sse_reply([delta("LoRA ")], done=False),
])
def test_garbage_from_the_server_is_an_output_error(reply):
    server = ScriptedServer([reply], TOKENIZE)
    try:
        with pytest.raises(TutorError) as err:
            tutor_at(server.base_url).ask("Что такое LoRA?")
        assert isinstance(err.value, LLMOutputError | LLMUnavailableError)
    finally:
        server.close()


def test_a_well_formed_stream_gives_a_cleaned_explanation_under_the_notes():
    server = ScriptedServer([sse_reply([delta("LoRA адаптеры [1]"), delta(" и [8]. Дальше обрыв")])], TOKENIZE)
    try:
        ans = tutor_at(server.base_url).ask("Что такое LoRA?")
        assert ans.explanation == "LoRA адаптеры и." and ans.notes_origin == "extract"
        assert ans.text.index(ans.notes.splitlines()[0]) < ans.text.index("LoRA адаптеры и.")
        assert ans.citations[0].n == 1 and ans.citations[0].quotes
    finally:
        server.close()


def test_chat_prints_one_error_line_per_failure_and_keeps_going(monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    monkeypatch.setattr(ask_cli, "_tutor", lambda services: tutor_at(url))
    result = CliRunner().invoke(app, ["chat"], input="Что такое LoRA?\nWhat is QLoRA?\n\n")
    assert result.exit_code == 0, result.output
    errors = [ln for ln in result.output.splitlines() if "error: " in ln]
    assert len(errors) == 2 and all("127.0.0.1" in ln for ln in errors)


def test_ask_json_prints_the_documented_fields(monkeypatch):
    server = ScriptedServer([sse_reply([delta("QLoRA квантует базу [2].")])], TOKENIZE)
    monkeypatch.setattr(ask_cli, "_tutor", lambda services: tutor_at(server.base_url))
    try:
        result = CliRunner().invoke(app, ["ask", "Что такое QLoRA?", "--json"])
    finally:
        server.close()


    doc = json.loads(result.output)
    assert set(doc) == {"question", "rewritten_query", "covered", "lang", "style", "notes_origin", "bank_question",
                        "notes", "explanation", "removed", "answer", "citations", "looped", "timings"}
    assert doc["notes"] == "QLoRA квантует базу в 4 бита и учит LoRA поверх неё. [1]"
    assert doc["explanation"] == "QLoRA квантует базу." and doc["notes_origin"] == "extract"
    assert doc["citations"][0] == {"n": 1, "doc": "notes.txt", "section": "LoRA > Q2", "chunk_id": "c2",
                                   "origin": "notes", "quotes": ["QLoRA квантует базу в 4 бита и учит LoRA поверх неё."],
                                   "text": "QLoRA квантует базу в 4 бита и учит LoRA поверх неё."}
    assert doc["looped"] is False
    assert {"retrieve_s", "notes_s", "ttft_s", "generate_s", "total_s"} <= set(doc["timings"])


def test_ask_prints_the_notes_then_the_explanation_and_the_checked_version_when_changed(monkeypatch):
    server = ScriptedServer([sse_reply([delta("LoRA учит адаптеры. "), delta("Обучается 5% весов.")])], TOKENIZE)
    monkeypatch.setattr(ask_cli, "_tutor", lambda services: tutor_at(server.base_url))
    try:
        result = CliRunner().invoke(app, ["ask", "Что такое LoRA?", "--verbose"])
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    streamed, final = result.output.split("─" * 40)
    assert streamed.index("**Ближе всего в заметках**") < streamed.index("Обучается 5% весов.")
    assert "LoRA учит адаптеры." in final and "5%" not in final and "убрано предложений: 1" in final
    assert "[1] notes.txt — LoRA > Q1" in final and "timings:" in final


def test_chat_remembers_the_conversation_for_follow_ups(monkeypatch):
    server = ScriptedServer([sse_reply([delta("LoRA учит адаптеры.")]),
                             sse_reply([delta("Ранг ограничивает качество.")])], TOKENIZE)
    monkeypatch.setattr(ask_cli, "_tutor", lambda services: tutor_at(server.base_url))
    try:
        result = CliRunner().invoke(app, ["chat"], input="Что такое LoRA?\nа в чём минусы?\n\n")
        second = server.chat_requests()[1]["messages"][1]["content"]
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    assert "↳ search: Что такое LoRA? а в чём минусы?" in result.output
    assert "user: Что такое LoRA?" in second and "LoRA учит адаптеры." in second


def test_chat_explains_the_last_answer_on_request(monkeypatch):
    server = ScriptedServer([sse_reply([delta("LoRA учит адаптеры.")])], TOKENIZE)
    monkeypatch.setattr(ask_cli, "_tutor", lambda services: Tutor(
        FakeSearcher(HITS), LLMClient(server.base_url, "m", max_retries=1), SETTINGS.model_copy(
            update={"explain": "on_request"})))
    try:
        result = CliRunner().invoke(app, ["chat"], input="/explain\nЧто такое LoRA?\n/explain\n/louder\n\n")
        asked = len(server.chat_requests())
        prompt = server.chat_requests()[0]["messages"][1]["content"]
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    assert result.output.count("Ask a question first") == 2 and asked == 1  # before a question; an unknown style
    assert "Что такое LoRA?" in prompt and "CONVERSATION" not in prompt  # asked where it was first asked
    out = result.output  # the notes alone first (with the offer), then the same question explained
    assert out.index("Объяснение модели — по запросу") < out.index("**Объяснение**") < out.index("LoRA учит адаптеры.")


def test_a_looping_stream_is_hung_up_on_through_the_real_client():
    sent, hung_up = [], []

    def endless(h):  # a server that would repeat one sentence for as long as the client listens
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        try:
            for i in range(5000):
                h.wfile.write(f"data: {delta('LoRA учит low-rank матрицы A и B [1]. ')}\n\n".encode())
                h.wfile.flush()
                sent.append(i)
                time.sleep(0.005)
        except OSError:  # the client closed the connection
            hung_up.append(len(sent))
        h.close_connection = True

    server = ScriptedServer([endless], TOKENIZE)
    try:
        ans = tutor_at(server.base_url).ask("Что такое LoRA?")
        deadline = time.monotonic() + 5
        while not hung_up and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.close()
    assert ans.looped and ans.explanation == "LoRA учит low-rank матрицы A и B."
    assert ans.text.endswith("LoRA учит low-rank матрицы A и B.\n\n✂ Модель начала повторяться: генерация "
                             "остановлена, повторы убраны из ответа.")
    assert hung_up and hung_up[0] < 100  # the server noticed within a few events, not after 5000
