"""The embedded LLM engine: xllamacpp's llama.cpp server on 127.0.0.1, OpenAI-compatible.

xllamacpp's ``Server`` has no stop method; dropping the last reference (``del server``) does stop
it (measured: 0.3 s, port closed, RSS 1.8 GB -> 117 MB). We still run it in a child process
(``python -m tutor.llm.engine ...``): a native abort (GGML_ASSERT) cannot take the UI down, stopping
does not depend on who else holds a reference, the child exits on its own when its parent dies,
and the engine's threads never compete with torch inside one process. ``start()`` returns
``http://127.0.0.1:PORT/v1`` once ``/health`` answers 200.
"""

from __future__ import annotations

import argparse
import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

import httpx

from tutor.core.errors import LLMUnavailableError
from tutor.core.settings import Settings

START_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def engine_args(settings: Settings, gguf: Path, port: int) -> list[str]:
    """The child's command line: every slot gets the full context window."""
    parallel = max(1, settings.llm_parallel)
    return ["--gguf", str(gguf), "--port", str(port), "--ctx", str(settings.llm_context * parallel),
            "--parallel", str(parallel), "--threads", str(settings.llm_threads), "--alias", settings.llm_model]


class EmbeddedEngine:
    """``with EmbeddedEngine(settings) as url:`` or ``url = engine.start(); ...; engine.stop()``."""

    def __init__(self, settings: Settings, *, start_timeout: float = START_TIMEOUT) -> None:
        self.settings = settings
        self.start_timeout = start_timeout
        self.base_url = ""
        self.log_path: Path | None = None
        self.gguf: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        if self.running:
            return self.base_url
        from tutor.models.provision import gguf_path

        self.gguf = gguf_path(self.settings)  # ModelError "run `tutor models fetch`" if missing
        for attempt in range(3):  # the free port can be taken before the child binds it
            try:
                return self._start_once(free_port())
            except LLMUnavailableError as err:
                if "couldn't bind" not in err.hint or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, port: int) -> str:
        assert self.gguf is not None
        fd, log_name = tempfile.mkstemp(prefix="tutor-engine-", suffix=".log")
        self.log_path = Path(log_name)
        cmd = [sys.executable, "-m", "tutor.llm.engine", *engine_args(self.settings, self.gguf, port),
               "--parent-pid", str(os.getpid())]
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        try:
            self._wait_healthy(port)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_healthy(self, port: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        url = f"http://127.0.0.1:{port}/health"
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise LLMUnavailableError(
                    f"The embedded LLM engine exited with code {self._proc.returncode} while loading "
                    f"{self.gguf}.", hint=f"Is it a valid GGUF file? The engine log says:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise LLMUnavailableError(f"The embedded LLM engine did not become ready within "
                                  f"{self.start_timeout:.0f} s.", hint=f"Its log ends with:\n{self.log_tail()}")

    def log_tail(self, lines: int = 8) -> str:
        """The engine log's error lines (llama.cpp level 'E', Python errors), else its last lines."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        all_lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        errors = [ln for ln in all_lines if " E " in ln or "Error" in ln]
        return "\n".join((errors or all_lines)[-lines:])

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None
        atexit.unregister(self.stop)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the child process ----------------------------------------------------------------------
def serve(gguf: str, port: int, ctx: int, parallel: int, threads: int, alias: str,
          parent_pid: int = 0, host: str = "127.0.0.1") -> NoReturn:
    """Run the llama.cpp server in this process until Ctrl+C / SIGTERM or until ``parent_pid`` is
    gone, then end the process."""
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = gguf
    p.n_ctx = ctx
    p.n_parallel = parallel
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.port = port
    p.hostnames = [host]
    p.model_alias = {alias}
    p.cache_prompt = True  # reuse the KV cache of a slot's common prompt prefix
    p.cache_ram_mib = 1024  # host-RAM prompt cache; the default (8 GiB) is too greedy for a laptop
    p.endpoint_metrics = True
    try:
        server = xllamacpp.Server(p)
    except RuntimeError as err:  # the reason is in llama.cpp's own log lines above
        print(f"Error: {err}", file=sys.stderr, flush=True)
        os._exit(1)
    print(f"listening {server.listening_address}", flush=True)
    try:
        while parent_pid == 0 or _alive(parent_pid):
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    sys.stderr.flush()
    os._exit(0)  # skip native destructors: the OS frees everything at once


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return os.getppid() == pid


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tutor.llm.engine", description=__doc__)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ctx", type=int, required=True)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alias", required=True)
    ap.add_argument("--parent-pid", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args(argv)
    serve(a.gguf, a.port, a.ctx, a.parallel, a.threads, a.alias, a.parent_pid, a.host)


if __name__ == "__main__":
    main()
