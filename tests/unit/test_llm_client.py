"""LLMClient against tiny real socket servers: down (closed port), hung (silent socket), garbage
(non-JSON, invalid JSON, truncated SSE), retries, repair, token counting, logging."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tutor.core.errors import LLMError, LLMOutputError, LLMTimeoutError, LLMUnavailableError
from tutor.llm.budget import approx_tokens
from tutor.llm.client import LLMClient

Reply = Callable[[BaseHTTPRequestHandler], None]


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SilentServer:
    """Accepts connections and never answers (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        self._t = threading.Thread(target=self._accept, daemon=True)
        self._t.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def json_reply(body: Any, status: int = 200) -> Reply:
    def reply(h: BaseHTTPRequestHandler) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return reply


def chat_reply(content: str, *, finish: str = "stop", usage: tuple[int, int] = (11, 3)) -> Reply:
    return json_reply({"choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": finish}],
                       "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]}})


def sse_reply(events: list[str], *, done: bool = True) -> Reply:
    """Server-sent events; ``done=False`` drops the connection without ``[DONE]`` (truncated)."""
    def reply(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        for ev in events + (["[DONE]"] if done else []):
            h.wfile.write(f"data: {ev}\n\n".encode())
            h.wfile.flush()
        h.close_connection = True
    return reply


def delta(text: str, finish: str | None = None) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]})


class ScriptedServer:
    """Answers POSTs with the scripted replies in order (the last one repeats); records requests.
    ``routes`` maps a path (e.g. '/tokenize') to a fixed reply."""

    def __init__(self, replies: list[Reply], routes: dict[str, Reply] | None = None) -> None:
        self.replies = list(replies)
        self.routes = routes or {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                size = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(size) or b"{}")
                outer.requests.append((self.path, body))
                if self.path in outer.routes:
                    outer.routes[self.path](self)
                    return
                reply = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                reply(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [b for p, b in self.requests if p.endswith("/chat/completions")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- tests -------------------------------------------------------------------------------------
from pydantic import BaseModel, Field  # noqa: E402

MSG = [{"role": "user", "content": "Что такое LoRA?"}]


class Point(BaseModel):
    point: str
    covered: bool


class Grade(BaseModel):
    points: list[Point]
    score: int = Field(ge=0, le=10)


def client(url: str, **kw: Any) -> LLMClient:
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("max_retries", 2)
    return LLMClient(url, "m", **kw)


@pytest.fixture
def serve():
    servers: list[ScriptedServer] = []

    def start(replies: list[Reply], routes: dict[str, Reply] | None = None) -> ScriptedServer:
        servers.append(ScriptedServer(replies, routes))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_server_down_is_unavailable_with_a_readable_sentence():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    c = client(url)
    with pytest.raises(LLMUnavailableError) as err:
        c.complete(MSG, purpose="t")
    assert f"The LLM server at {url} is not reachable" in str(err.value)
    assert "3 attempts" in str(err.value)
    assert "tutor serve-llm" in err.value.user_message()
    assert c.last is not None and c.last.outcome == "LLMUnavailableError"


def test_hung_server_times_out_without_retrying():
    silent = SilentServer()
    try:
        c = client(f"http://127.0.0.1:{silent.port}/v1", timeout=0.5)
        t0 = time.perf_counter()
        with pytest.raises(LLMTimeoutError, match="did not answer within"):
            c.complete(MSG, purpose="t")
        assert time.perf_counter() - t0 < 1.4
        assert len(silent.conns) == 1
        with pytest.raises(LLMTimeoutError):
            list(c.stream(MSG, purpose="t"))
    finally:
        silent.close()


def test_non_json_body_is_an_output_error(serve):
    s = serve([json_reply(b"<html>gateway</html>")])
    with pytest.raises(LLMOutputError, match="not JSON") as err:
        client(s.base_url).complete(MSG, purpose="t")
    assert "gateway" in err.value.raw


def test_reply_without_choices_is_an_output_error(serve):
    s = serve([json_reply({"object": "chat.completion"})])
    with pytest.raises(LLMOutputError, match="choices"):
        client(s.base_url).complete(MSG, purpose="t")


def test_5xx_and_429_are_retried_then_succeed(serve):
    s = serve([json_reply({"error": "busy"}, 503), json_reply({"error": "slow down"}, 429), chat_reply("ok")])
    c = client(s.base_url)
    assert c.complete(MSG, purpose="t") == "ok"
    assert len(s.chat_requests()) == 3
    assert c.last is not None and c.last.attempts == 3


def test_persistent_5xx_gives_up_as_unavailable(serve):
    s = serve([json_reply({"error": "down"}, 502)])
    with pytest.raises(LLMUnavailableError, match="HTTP 502"):
        client(s.base_url, max_retries=1).complete(MSG, purpose="t")
    assert len(s.chat_requests()) == 2


def test_4xx_is_not_retried(serve):
    s = serve([json_reply({"error": "context too long"}, 400)])
    with pytest.raises(LLMError, match="rejected the request .HTTP 400.: .*context too long"):
        client(s.base_url).complete(MSG, purpose="t")
    assert len(s.chat_requests()) == 1


def test_structured_sends_a_strict_json_schema(serve):
    s = serve([chat_reply('{"points": [{"point": "low rank", "covered": true}], "score": 7}')])
    g = client(s.base_url).structured(MSG, Grade, purpose="grade")
    assert g == Grade(points=[Point(point="low rank", covered=True)], score=7)
    body = s.chat_requests()[0]
    assert "guided_json" not in body
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["name"] == "Grade"
    schema = rf["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["points", "score"]
    assert schema["$defs"]["Point"]["additionalProperties"] is False


def test_invalid_json_gets_one_repair_with_the_error(serve):
    bad = '{"points": [], "score": 42}'
    s = serve([chat_reply(bad), chat_reply('{"points": [], "score": 4}')])
    c = client(s.base_url)
    assert c.structured(MSG, Grade, purpose="grade").score == 4
    repair = s.chat_requests()[1]["messages"]
    assert repair[:1] == MSG and repair[1] == {"role": "assistant", "content": bad}
    assert "<<<ERROR>>>" in repair[2]["content"] and "less than or equal to 10" in repair[2]["content"]
    assert "<<<OUTPUT>>>" in repair[2]["content"]
    assert c.last is not None and (c.last.outcome, c.last.attempts) == ("repaired", 2)
    assert c.last.prompt_tokens == 22


def test_failed_repair_raises_with_raw_and_attempts(serve):
    s = serve([chat_reply("Sure! Here is JSON: {points"), chat_reply('{"points": "none"}')])
    with pytest.raises(LLMOutputError) as err:
        client(s.base_url).structured(MSG, Grade, purpose="grade")
    assert err.value.attempts == 2 and err.value.raw == '{"points": "none"}'
    assert "Grade" in str(err.value) and "grade" in str(err.value)


def test_truncated_output_is_repaired_not_accepted(serve):
    s = serve([chat_reply('{"points": [', finish="length"), chat_reply('{"points": [], "score": 1}')])
    assert client(s.base_url).structured(MSG, Grade, purpose="g").score == 1
    assert "cut off" in s.chat_requests()[1]["messages"][-1]["content"]


def test_fenced_json_is_accepted(serve):
    s = serve([chat_reply('```json\n{"points": [], "score": 3}\n```')])
    assert client(s.base_url).structured(MSG, Grade, purpose="g").score == 3


def test_stream_yields_deltas_and_records_usage(serve):
    usage = json.dumps({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3},
                        "timings": {"prompt_per_second": 50.0, "predicted_per_second": 20.0}})
    s = serve([sse_reply([delta("Lo"), delta("RA "), delta("is", "stop"), usage])])
    c = client(s.base_url)
    assert list(c.stream(MSG, purpose="ask")) == ["Lo", "RA ", "is"]
    assert s.chat_requests()[0]["stream"] is True
    st = c.last
    assert st is not None and st.outcome == "ok" and st.ttft_s is not None and st.ttft_s <= st.latency_s
    assert (st.prompt_tokens, st.completion_tokens, st.decode_per_s) == (9, 3, 20.0)


def test_truncated_stream_raises_after_the_partial_deltas(serve):
    s = serve([sse_reply([delta("half "), delta("an answer")], done=False)])
    got: list[str] = []
    with pytest.raises(LLMOutputError, match="ended before the answer was complete") as err:
        for d in client(s.base_url).stream(MSG, purpose="ask"):
            got.append(d)
    assert got == ["half ", "an answer"] and err.value.raw == "half an answer"


def test_garbage_stream_event_raises(serve):
    s = serve([sse_reply([delta("ok"), "{not json"])])
    with pytest.raises(LLMOutputError, match="not JSON"):
        list(client(s.base_url).stream(MSG, purpose="ask"))


def test_count_tokens_uses_tokenize_and_caches(serve):
    s = serve([chat_reply("x")], routes={"/tokenize": json_reply({"tokens": [1, 2, 3, 4]})})
    c = client(s.base_url)
    assert c.count_tokens("four tokens here") == 4
    assert c.count_tokens("four tokens here") == 4
    assert [p for p, _ in s.requests] == ["/tokenize"]
    assert s.requests[0][1] == {"content": "four tokens here"}


def test_count_tokens_speaks_vllm_too(serve):
    holder: list[ScriptedServer] = []

    def vllm_tokenize(h: BaseHTTPRequestHandler) -> None:
        body = holder[0].requests[-1][1]
        if "prompt" not in body:
            json_reply({"object": "error", "message": "prompt: Field required"}, 400)(h)
        else:
            json_reply({"count": 3, "max_model_len": 8192, "tokens": [5, 6, 7]})(h)

    s = serve([chat_reply("x")], routes={"/tokenize": vllm_tokenize})
    holder.append(s)
    c = client(s.base_url)
    assert c.count_tokens("abc") == 3
    assert c.count_tokens("def") == 3
    assert [b for _, b in s.requests] == [{"content": "abc"}, {"model": "m", "prompt": "abc"},
                                          {"model": "m", "prompt": "def"}]


def test_count_tokens_falls_back_to_the_estimate(serve):
    s = serve([chat_reply("x")], routes={"/tokenize": json_reply({"detail": "Not Found"}, 404)})
    c = client(s.base_url)
    assert c.count_tokens("Привет, как дела? LoRA rank") == approx_tokens("Привет, как дела? LoRA rank")
    c.count_tokens("another text")
    assert len(s.requests) == 2  # both request styles tried once, then never again


def test_count_tokens_does_not_wait_on_a_hung_server_twice():
    silent = SilentServer()
    try:
        c = client(f"http://127.0.0.1:{silent.port}/v1", timeout=0.3)
        t0 = time.perf_counter()
        assert c.count_tokens("hello world") == approx_tokens("hello world")
        assert c.count_tokens("another text") == approx_tokens("another text")
        assert time.perf_counter() - t0 < 0.9
        assert len(silent.conns) == 1
    finally:
        silent.close()


def test_one_json_log_line_per_call(serve, caplog):
    s = serve([chat_reply("bad"), chat_reply('{"points": [], "score": 2}')])
    c = client(s.base_url, verbose=True)
    with caplog.at_level(logging.INFO, logger="tutor.llm.client"):
        c.structured(MSG, Grade, purpose="grade")
    lines = [r.getMessage() for r in caplog.records if r.name == "tutor.llm.client"]
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["purpose"] == "grade" and rec["outcome"] == "repaired" and rec["model"] == "m"
    assert {"prompt_tokens", "completion_tokens", "latency_s"} <= set(rec)
    assert rec["messages"][0]["content"] == "Что такое LoRA?"


def test_from_settings_uses_settings():
    from tutor.core.settings import Settings

    s = Settings(llm_model="qwen-x", llm_context=4096, llm_timeout=7, llm_max_retries=5)
    c = LLMClient.from_settings(s, base_url="http://h:1/v1/")
    assert (c.base_url, c.model, c.context_window, c.timeout, c.max_retries) == \
        ("http://h:1/v1", "qwen-x", 4096, 7, 5)


def test_free_text_carries_the_repetition_penalty_and_the_delimiter_stop_json_does_not(serve):
    s = serve([chat_reply("LoRA [1]."), sse_reply([delta("LoRA", "stop")]),
               chat_reply('{"points": [], "score": 1}')])
    c = client(s.base_url, repetition_penalty=1.1)
    c.complete(MSG, purpose="ask")
    list(c.stream(MSG, purpose="ask"))
    c.structured(MSG, Grade, purpose="grade")
    text_a, text_b, js = s.chat_requests()
    for body in (text_a, text_b):  # both servers' names: vLLM and llama.cpp each ignore the other's
        assert (body["repetition_penalty"], body["repeat_penalty"], body["stop"]) == (1.1, 1.1, ["<<<"])
    assert not {"repetition_penalty", "repeat_penalty", "stop"} & set(js)


def test_no_penalty_fields_when_it_is_off(serve):
    s = serve([chat_reply("ok")])
    client(s.base_url).complete(MSG, purpose="ask")
    assert not {"repetition_penalty", "repeat_penalty"} & set(s.chat_requests()[0])
    from tutor.core.settings import Settings

    assert LLMClient.from_settings(Settings(), base_url="http://h:1/v1").repetition_penalty == 1.05


def logprob_reply(top: list[tuple[str, float]]) -> Reply:
    return json_reply({"choices": [{"index": 0, "message": {"role": "assistant", "content": top[0][0]},
                                    "logprobs": {"content": [{"token": top[0][0], "logprob": top[0][1],
                                                              "top_logprobs": [{"token": t, "logprob": lp}
                                                                               for t, lp in top]}]},
                                    "finish_reason": "length"}], "usage": {"prompt_tokens": 9, "completion_tokens": 1}})


def test_choose_reads_first_token_probabilities(serve):
    s = serve([logprob_reply([("A", -0.2), (" B", -2.0), ("a", -3.0), ("The", -4.0)])])
    probs = client(s.base_url).choose([{"role": "user", "content": "pick"}], ("A", "B", "C"), purpose="t")
    assert set(probs) == {"A", "B", "C"} and probs["C"] == 0.0
    assert probs["A"] > 0.8 and abs(sum(probs.values()) - 1.0) < 1e-9
    body = s.chat_requests()[0]
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["top_logprobs"] >= 5
    assert body["temperature"] == 0.0 and body["cache_prompt"] is False


def test_choose_without_logprobs_is_an_output_error(serve):
    s = serve([chat_reply("A"), logprob_reply([("The", -0.1), ("Sure", -2.0)])])
    with pytest.raises(LLMOutputError, match="log-probabilities"):
        client(s.base_url).choose([{"role": "user", "content": "pick"}], ("A", "B"), purpose="t")
    with pytest.raises(LLMOutputError, match="none of the options"):
        client(s.base_url).choose([{"role": "user", "content": "pick"}], ("A", "B"), purpose="t")
