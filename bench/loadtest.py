"""Load test: N simulated users (gradio_client, each logged in as its own user) against a launched app.

Each user clears its chat, asks a question (streamed), takes a practice question, submits an answer
and reads its progress. Checks: no errors, no lost attempts (attempts counted in SQLite before and
after), no state leaking between users; prints latency percentiles per endpoint.

    TUTOR_LLM_BASE_URL=http://127.0.0.1:8088/v1 .venv/bin/python bench/loadtest.py --users 8 \\
        --data-dir /tmp/tutor-load

Without --url the app is built and launched in this process on a free 127.0.0.1 port over
--data-dir (ingested first when it has no question bank).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("OPENAI_API_KEY", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui.render import ERROR_PREFIX  # noqa: E402 - after the path set-up

QUESTIONS = ["Что такое LoRA?", "Зачем нужен reranker в RAG?", "Что такое KV cache?", "What is RLHF?",
             "Чем BPE отличается от WordPiece?", "Что такое temperature при генерации?",
             "Зачем нужен chunk overlap?", "Что такое hybrid search?"]
ANSWER = "Это способ дообучения: замораживаем веса и учим маленькие низкоранговые матрицы, это дешевле."


def count_attempts(db: Path) -> int:
    """Rows in the attempts table of the app's SQLite database (0 when it does not exist yet)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        table = next((t for t in tables if t == "attempts"), None)
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) if table else 0


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


class User:
    def __init__(self, url: str, name: str, question: str, timings: dict[str, list[float]],
                 lock: threading.Lock) -> None:
        from gradio_client import Client

        self.name, self.question = name, question
        self.client = Client(url, auth=(name, f"pw-{name}"), verbose=False)
        self.timings, self.lock = timings, lock
        self.errors: list[str] = []
        self.graded = 0
        self.submitted = 0

    def call(self, endpoint: str, *args: object) -> tuple:
        t0 = time.perf_counter()
        out = self.client.predict(*args, api_name=f"/{endpoint}")
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.timings[endpoint].append(elapsed)
        print(f"  {self.name} {endpoint} {elapsed:.1f}s", flush=True)
        status = out[-1] if isinstance(out, tuple | list) else out
        if isinstance(status, str) and status.startswith(ERROR_PREFIX):
            self.errors.append(f"{endpoint}: {status}")
        return tuple(out) if isinstance(out, tuple | list) else (out,)

    def run(self) -> None:
        try:
            self.call("chat_clear")
            chat = self.call("ask", self.question)
            restored = self.call("chat_restore")[0]
            texts = [text_of(m) for m in restored]
            if len(texts) != 2 or texts[0] != self.question or not texts[1] or texts[1] != text_of(chat[0][-1]):
                self.errors.append(f"ask: conversation missing or mixed with another user's: {texts!r:.200}")
            fresh = self.call("next_question", "Any", "Any")
            if "tutor-question" not in fresh[0]:
                self.errors.append("next_question: no question card")
            self.submitted += 1
            grade = self.call("grade", ANSWER)
            if "Score:" in grade[0]:
                self.graded += 1
            else:
                self.errors.append(f"grade: no score ({grade[-1]})")
            self.call("progress")
        except Exception as err:  # noqa: BLE001 - a load test reports every failure
            self.errors.append(f"{type(err).__name__}: {err}")


def percentiles(values: list[float]) -> str:
    v = sorted(values)
    q = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else v * 99
    return f"n={len(v):2d} p50={q[49]:6.1f}s p90={q[89]:6.1f}s p95={q[94]:6.1f}s max={v[-1]:6.1f}s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--url", default="", help="An already running app (its TUTOR_AUTH must hold u1..uN).")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/tutor-loadtest"))
    args = ap.parse_args()
    names = [f"u{i + 1}" for i in range(args.users)]
    os.environ["TUTOR_AUTH"] = ",".join(f"{n}:pw-{n}" for n in names)

    from tutor.core.settings import Settings
    from tutor.services import Services

    settings = Settings(data_dir=args.data_dir)
    services = Services(settings)
    db = settings.sqlite_path
    try:
        if args.url:
            return run(args.url, names, db)
        from ui.app import build_app
        from ui.launch import running

        if not settings.bank_path.exists():
            from ingest.pipeline import ingest_paths

            print(f"ingesting {settings.corpus_dir} into {settings.data_dir} …", flush=True)
            ingest_paths(services, [settings.corpus_dir])
        with running(build_app(services), settings) as url:
            return run(url, names, db)
    finally:
        services.close()


def run(url: str, names: list[str], db: Path) -> int:
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    before = count_attempts(db)
    users = [User(url, n, QUESTIONS[i % len(QUESTIONS)], timings, lock) for i, n in enumerate(names)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(lambda u: u.run(), users))
    wall = time.perf_counter() - t0
    after = count_attempts(db)
    errors = [f"{u.name}: {e}" for u in users for e in u.errors]
    graded = sum(u.graded for u in users)
    submitted = sum(u.submitted for u in users)
    print(f"\n{len(users)} users against {url}: wall {wall:.1f}s")
    for endpoint, values in timings.items():
        print(f"  {endpoint:14s} {percentiles(values)}")
    print(f"attempts in SQLite: before {before}, after {after} (+{after - before}); "
          f"answers submitted {submitted}, graded {graded}")
    print(f"errors: {len(errors)}")
    for e in errors:
        print("  " + e)
    lost = (after - before) != submitted
    if lost:
        print("LOST ATTEMPTS: the store did not record one attempt per submitted answer")
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
