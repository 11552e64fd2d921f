"""The one LLM client: any OpenAI-compatible server (vLLM in production, the embedded llama.cpp
engine by default), implementing ``tutor.core.ports.ChatLLM``.

Plain httpx rather than the openai SDK: the SDK's own retry loop and exception tree would hide
what we need to control here — connect vs read timeouts, retrying only connection errors / 5xx /
429, readable errors naming the server, the raw SSE stream (llama.cpp's extra ``timings``) and the
non-OpenAI ``/tokenize`` route that both llama.cpp and vLLM serve.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from tutor.core.errors import LLMError, LLMOutputError, LLMTimeoutError, LLMUnavailableError
from tutor.core.prompting import STOP, render
from tutor.core.settings import Settings
from tutor.llm.budget import approx_tokens
from tutor.llm.log import CallStats, log_call
from tutor.llm.replies import json_body, message_text, option_probabilities, validate_reply
from tutor.llm.sse import StreamState, parse_sse_line
from tutor.llm.strict_schema import response_format

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]
RETRY_STATUS = {429, 500, 502, 503, 504}
TOP_LOGPROBS = 10


class LLMClient:
    """``last`` holds the stats of the most recent call on this client (with several threads sharing
    one client it may be another thread's call; answer timings should come from the caller's clock)."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "EMPTY", context_window: int = 8192,
                 timeout: float = 180.0, connect_timeout: float = 5.0, max_retries: int = 2,
                 backoff_s: float = 0.5, verbose: bool = False, repetition_penalty: float = 1.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        """``repetition_penalty`` (> 1 discourages tokens the model just produced) applies to free
        text (``complete`` / ``stream``), never to JSON output, whose keys and quotes must repeat."""
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.context_window = context_window
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.verbose = verbose
        self.repetition_penalty = repetition_penalty
        self.last: CallStats | None = None
        self._tokenize_style: int | None = None  # 0 llama.cpp, 1 vLLM, -1 none
        self._tokenize_off_until = 0.0
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=connect_timeout))
        self._count_cached = lru_cache(maxsize=4096)(self._count_tokens)

    @classmethod
    def from_settings(cls, settings: Settings, base_url: str | None = None) -> LLMClient:
        return cls(base_url or settings.llm_base_url, settings.llm_model, api_key=settings.llm_api_key,
                   context_window=settings.llm_context, timeout=settings.llm_timeout,
                   connect_timeout=settings.llm_connect_timeout, max_retries=settings.llm_max_retries,
                   verbose=settings.verbose, repetition_penalty=settings.llm_repetition_penalty)

    def close(self) -> None:
        self._http.close()

    # --- ChatLLM ---------------------------------------------------------------------------------
    def complete(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
                 temperature: float = 0.0) -> str:
        stats = CallStats(purpose, self.model)
        text, _ = self._chat(self._text_payload(messages, max_tokens, temperature), stats, messages)
        self._log(stats, messages)
        return text

    def stream(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
               temperature: float = 0.0) -> Generator[str, None, None]:
        payload = {**self._text_payload(messages, max_tokens, temperature), "stream": True,
                   "stream_options": {"include_usage": True}}
        stats = CallStats(purpose, self.model)
        t0 = time.perf_counter()
        state = StreamState()
        try:
            with self._send(payload, stats) as reply:
                for line in reply.resp.iter_lines():
                    for delta in parse_sse_line(line, state):
                        if stats.ttft_s is None:
                            stats.ttft_s = time.perf_counter() - t0
                        yield delta
                    if state.done:
                        break
            state.check_complete()
        except GeneratorExit:
            stats.outcome = "cancelled"
            self._log(stats, messages, t0)
            raise
        except LLMError as err:
            self._fail(stats, t0, messages, err)
            raise
        except httpx.HTTPError as err:
            raise self._fail(stats, t0, messages, err) from err
        stats.prompt_tokens, stats.completion_tokens = state.usage(self.count_tokens)
        _server_rates(stats, state.timings)
        self._log(stats, messages, t0)

    def structured(self, messages: list[Message], schema: type[T], *, purpose: str,
                   max_tokens: int = 1024, temperature: float = 0.0) -> T:
        payload = {**self._payload(messages, max_tokens, temperature), "response_format": response_format(schema)}
        if temperature == 0.0:
            # Judgements must repeat: llama.cpp's reused prompt prefix was computed in other batch
            # shapes, which shifts logits enough to flip a greedy verdict. vLLM ignores the field.
            payload["cache_prompt"] = False
        stats = CallStats(purpose, self.model)
        text, data = self._chat(payload, stats, messages)
        try:
            result = validate_reply(text, schema, data)
        except ValueError as first:
            result = self._repair(payload, messages, schema, text, first, stats)
        self._log(stats, messages)
        return result

    def choose(self, messages: list[Message], options: Sequence[str], *, purpose: str) -> dict[str, float]:
        """The model's probability of each one-token option (e.g. 'A', 'B', 'C') as its first reply
        token, from the server's ``top_logprobs``, renormalised over the options. One token is
        decoded; greedy and uncached, so the same prompt always gives the same numbers."""
        payload = {**self._payload(messages, 1, 0.0), "logprobs": True, "top_logprobs": TOP_LOGPROBS,
                   "cache_prompt": False}
        stats = CallStats(purpose, self.model)
        _, data = self._chat(payload, stats, messages)
        try:
            result = option_probabilities(data, options)
        except ValueError as err:
            stats.outcome = "LLMOutputError"
            self._log(stats, messages)
            raise LLMOutputError(f"The LLM server returned no usable log-probabilities for '{purpose}': {err}",
                                 raw=str(data)[:500], attempts=1,
                                 hint="The server must support `logprobs` / `top_logprobs` "
                                      "(llama.cpp and vLLM do).") from err
        self._log(stats, messages)
        return result

    def _repair(self, payload: dict[str, Any], messages: list[Message], schema: type[T], bad: str,
                error: ValueError, stats: CallStats) -> T:
        """One more call showing the model its invalid output and the validation error."""
        repair = [*messages, {"role": "assistant", "content": bad},
                  {"role": "user", "content": render("llm_repair", error=str(error)[:1500], output=bad[-3000:])}]
        text, data = self._chat({**payload, "messages": repair}, stats, repair)
        try:
            result = validate_reply(text, schema, data)
        except ValueError as second:
            stats.outcome = "LLMOutputError"
            self._log(stats, repair)
            raise LLMOutputError(f"The LLM did not produce valid {schema.__name__} JSON for "
                                 f"'{stats.purpose}' after a repair attempt: {str(second)[:300]}",
                                 raw=text, attempts=2,
                                 hint="Try again; a larger model follows schemas more reliably.") from second
        stats.outcome = "repaired"
        return result

    def count_tokens(self, text: str) -> int:
        """Exact count from the server's /tokenize (llama.cpp and vLLM) when it has one, else an
        estimate (``tutor.llm.budget.approx_tokens``). Cached per text."""
        return self._count_cached(text)

    def _count_tokens(self, text: str) -> int:
        """llama.cpp's /tokenize takes {"content"}, vLLM's {"model", "prompt"}: try each once and
        remember the one that works (or that neither does). A server that is down or hung is not
        asked again for a minute."""
        if time.monotonic() < self._tokenize_off_until:
            return approx_tokens(text)
        styles = [self._tokenize_style] if self._tokenize_style is not None else [0, 1]
        for style in styles:
            if style < 0:
                break
            body = {"content": text} if style == 0 else {"model": self.model, "prompt": text}
            try:
                resp = self._http.post(self._root() + "/tokenize", json=body, timeout=min(10.0, self.timeout))
                data = resp.json() if resp.status_code == 200 else {}
                count = int(data["count"]) if "count" in data else len(data["tokens"])
            except httpx.TransportError:
                self._tokenize_off_until = time.monotonic() + 60.0
                return approx_tokens(text)
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                continue
            self._tokenize_style = style
            return count
        self._tokenize_style = -1
        return approx_tokens(text)

    # --- HTTP ------------------------------------------------------------------------------------
    def _root(self) -> str:
        return self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url

    def _payload(self, messages: list[Message], max_tokens: int, temperature: float) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature}

    def _text_payload(self, messages: list[Message], max_tokens: int, temperature: float) -> dict[str, Any]:
        """Free-text request: stops at an echoed data delimiter; with a repetition penalty, under
        both servers' names (vLLM reads ``repetition_penalty``, llama.cpp ``repeat_penalty``; each
        ignores the other's)."""
        payload = {**self._payload(messages, max_tokens, temperature), "stop": STOP}
        if self.repetition_penalty != 1.0:
            payload |= {"repetition_penalty": self.repetition_penalty, "repeat_penalty": self.repetition_penalty}
        return payload

    def _chat(self, payload: dict[str, Any], stats: CallStats,
              messages: list[Message]) -> tuple[str, dict[str, Any]]:
        """One non-streaming call; adds its tokens and latency to ``stats`` (logs only on failure)."""
        t0 = time.perf_counter()
        try:
            with self._send(payload, stats) as reply:
                reply.resp.read()
            data = json_body(reply.resp.text)
            text = message_text(data)
        except LLMError as err:
            self._fail(stats, t0, messages, err)
            raise
        except httpx.HTTPError as err:
            raise self._fail(stats, t0, messages, err) from err
        usage = data.get("usage") or {}
        stats.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        stats.completion_tokens += int(usage.get("completion_tokens") or 0)
        stats.latency_s += time.perf_counter() - t0
        _server_rates(stats, data.get("timings"))
        return text, data

    def _send(self, payload: dict[str, Any], stats: CallStats) -> _Reply:
        """POST /chat/completions (streamed body) and return the 200 reply; retries connection
        errors, 5xx and 429 with exponential backoff. Read timeouts are not retried."""
        last_err: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            req = self._http.build_request("POST", "/chat/completions", json=payload)
            stats.attempts += 1
            try:
                resp = self._http.send(req, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as err:
                last_err = err
                continue
            if resp.status_code == 200:
                return _Reply(resp)
            body = resp.read().decode("utf-8", "replace")[:500]
            resp.close()
            if resp.status_code in RETRY_STATUS:
                last_err = LLMError(f"The LLM server at {self.base_url} answered HTTP {resp.status_code}: {body}")
                continue
            raise LLMError(f"The LLM server at {self.base_url} rejected the request "
                           f"(HTTP {resp.status_code}): {body}",
                           hint="Check TUTOR_LLM_MODEL matches the served model name and the prompt fits "
                                "the context window.")
        if isinstance(last_err, LLMError):
            raise LLMUnavailableError(f"{last_err} (after {self.max_retries + 1} attempts).",
                                      hint="The server is overloaded or failing; try again shortly.")
        raise self._unavailable(last_err)

    def _unavailable(self, err: Exception | None) -> LLMUnavailableError:
        reason = type(err).__name__ if err else "unknown error"
        return LLMUnavailableError(
            f"The LLM server at {self.base_url} is not reachable ({reason}, {self.max_retries + 1} attempts).",
            hint="Start it (`tutor serve-llm`) or unset TUTOR_LLM_BASE_URL to use the embedded engine.")

    def _fail(self, stats: CallStats, t0: float, messages: list[Message], err: Exception) -> LLMError:
        """Turn ``err`` into the LLMError to raise, and log the failed call."""
        if isinstance(err, LLMError):
            out = err
        elif isinstance(err, httpx.TimeoutException):
            out = LLMTimeoutError(f"The LLM server at {self.base_url} did not answer within {self.timeout:.0f} s.",
                                  hint="It may be busy: raise TUTOR_LLM_TIMEOUT or ask for a shorter answer.")
        else:
            out = self._unavailable(err)
        stats.outcome = type(out).__name__
        self._log(stats, messages, t0)
        return out

    def _log(self, stats: CallStats, messages: list[Message], t0: float | None = None) -> None:
        if t0 is not None:
            stats.latency_s += time.perf_counter() - t0
        self.last = stats
        log_call(stats, messages if self.verbose else None)


class _Reply:
    """A 200 response whose streamed body is closed on exit."""

    def __init__(self, resp: httpx.Response) -> None:
        self.resp = resp

    def __enter__(self) -> _Reply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.resp.close()


def _server_rates(stats: CallStats, timings: Any) -> None:
    if isinstance(timings, dict):
        stats.prompt_per_s = timings.get("prompt_per_second")
        stats.decode_per_s = timings.get("predicted_per_second")
        if isinstance(timings.get("cache_n"), int):
            stats.extra["cached_tokens"] = timings["cache_n"]  # prompt prefix reused from the slot's KV cache
