"""RAGAS suite: ask the tutor each golden question, then score the answer with the RAGAS-style
LLM metrics and the non-LLM variants. Items run on ``workers`` threads (the LLM server has parallel
slots); the searcher and embedder are shared behind a lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from evals.answer_eval import EMBED_METRICS, LLM_METRICS, EvalCase, embedding_metrics, llm_metrics
from evals.golden import GoldenItem
from evals.judge import CHUNK_CHARS, Judge
from evals.results import ProgressCb, SuiteResult, Ticker, aggregate
from tutor.core.errors import TutorError
from tutor.core.ports import Embedder
from tutor.core.types import Answer, Citation


class StreamingTutor(Protocol):
    def stream(self, question: str, history: Any = None, filters: Any = None) -> Iterator[Any]:
        ...


class LockedEmbedder:
    """Serialises calls to a shared embedder from worker threads."""

    def __init__(self, inner: Embedder, lock: threading.Lock) -> None:
        self.inner, self.lock, self.dim = inner, lock, inner.dim

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        with self.lock:
            return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self.lock:
            return self.inner.embed_query(text)


def answer_with_sources(tutor: StreamingTutor, question: str) -> tuple[Answer, list[Citation]]:
    """Run the tutor's stream; return the final Answer and every source given to the model."""
    sources: list[Citation] = []
    for ev in tutor.stream(question):
        if ev.kind == "sources":
            sources = list(ev.sources)
        elif ev.kind == "done" and ev.answer is not None:
            return ev.answer, sources
    raise TutorError(f"The tutor stream ended without an answer for: {question[:80]}")


def evaluate_item(item: GoldenItem, tutor: StreamingTutor, judge: Judge | None,
                  embedder: Embedder) -> dict[str, Any]:
    t0 = time.perf_counter()
    row: dict[str, Any] = {"id": item.id, "topic": item.topic, "question": item.question,
                           "reference": item.reference_answer}
    try:
        answer, sources = answer_with_sources(tutor, item.question)
    except Exception as err:  # noqa: BLE001 - one broken item must not sink a long run
        row["error"] = f"answering failed: {type(err).__name__}: {err}"
        return row
    row.update(answer=answer.text, covered=answer.covered, n_sources=len(sources),
               n_citations=len(answer.citations), notes_origin=answer.notes_origin, removed=len(answer.removed),
               answer_s=round(time.perf_counter() - t0, 2))
    row["contexts"] = [s.text[:CHUNK_CHARS] for s in sources]
    row["context_ids"] = [s.chunk_id for s in sources]
    case = EvalCase(question=item.question, answer=answer.text if answer.covered else "",
                    contexts=[s.text for s in sources], context_ids=[s.chunk_id for s in sources],
                    reference=item.reference_answer, gold_ids=item.gold_chunk_ids)
    scores = embedding_metrics(case, embedder)
    if judge is not None:
        scores.update(llm_metrics(case, judge, embedder))
    for name, s in scores.items():
        row[name] = s.value
        if s.reason:
            row[f"{name}_reason"] = s.reason
    row["total_s"] = round(time.perf_counter() - t0, 2)
    return row


def run_answers(tutor: StreamingTutor, judge: Judge | None, embedder: Embedder,
                golden: Sequence[GoldenItem], *, workers: int = 1,
                progress: ProgressCb | None = None) -> SuiteResult:
    """judge=None runs only the non-LLM metrics (the tutor still answers with its LLM)."""
    t0 = time.perf_counter()
    result = SuiteResult(suite="ragas")
    ticker = Ticker("answers", len(golden), progress)
    shared = LockedEmbedder(embedder, threading.Lock())

    def one(item: GoldenItem) -> dict[str, Any]:
        row = evaluate_item(item, tutor, judge, shared)
        ticker.tick()
        return row

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        rows = list(pool.map(one, golden))
    keys = [*EMBED_METRICS, *(LLM_METRICS if judge else ()), "answer_s", "total_s"]
    aggregate(rows, keys, "ragas.", result)
    ok = [r for r in rows if "error" not in r]
    result.metrics["ragas.covered_rate"] = (sum(1 for r in ok if r["covered"]) / len(ok)) if ok else None
    result.counts["ragas.covered_rate"] = len(ok)
    result.notes += [f"{r['id']}: {r['error'][:200]}" for r in rows if "error" in r]
    result.notes += [f"{len(golden)} golden questions, {len(rows) - len(ok)} failed to answer",
                     "judge: " + ("LLM + embeddings" if judge else "embeddings only"),
                     "the LLM metrics are judged by a 1.5B model (the answering one unless --judge-url): "
                     "its agreement with hand labels is measured by the answers suite "
                     "(answers.test.judge.*); do not trust faithfulness here beyond that agreement"]
    result.rows = rows
    result.duration_s = time.perf_counter() - t0
    return result
