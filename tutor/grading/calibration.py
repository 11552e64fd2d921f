"""Grader calibration on labelled answers and on the corpus's weak-vs-strong interview pairs.

``run_calibration`` is the importable core (``tutor eval --suite grading`` wraps it;
``scripts/calibrate_grader.py`` prints it). Thresholds from issue 5: strong >= 7, wrong <= 3,
injection <= 2, empty = 0, strong > weak in >= 90% of pairs, identical score on repeats.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from tutor.errors import InputError, TutorError

T = TypeVar("T", bound=BaseModel)

Label = Literal["strong", "partial", "wrong", "injection", "empty", "weak"]
LIMITS: dict[str, tuple[str, float]] = {"strong": (">=", 7.0), "wrong": ("<=", 3.0),
                                        "injection": ("<=", 2.0), "empty": ("<=", 0.0)}
PAIR_TARGET = 0.9


class LabelledAnswer(BaseModel):
    id: str
    question_id: str = ""
    question: str
    label: Label
    answer: str


class Graded(BaseModel):
    id: str
    question_id: str
    label: str
    score: float
    seconds: float
    flags: list[str] = Field(default_factory=list)
    error: str = Field("", description="Set when grading failed (the row is left out of the stats).")
    detail: list[str] = Field(default_factory=list,
                              description="Per-point 'verdict | point | evidence' and factual errors (for inspection).")


class LabelStats(BaseModel):
    label: str
    n: int
    mean: float
    min: float
    max: float
    passed: int = Field(description="Rows within the label's limit (all rows if it has none).")
    limit: str = ""


class CalibrationReport(BaseModel):
    rows: list[Graded]
    labels: list[LabelStats]
    pairs_total: int = 0
    pairs_ok: int = 0
    corpus_pairs_total: int = 0
    corpus_pairs_ok: int = 0
    repeats: dict[str, list[float]] = Field(default_factory=dict)
    latency: dict[str, float] = Field(default_factory=dict)

    @property
    def repeat_identical(self) -> bool:
        return all(len(set(v)) == 1 for v in self.repeats.values())

    def checks(self) -> dict[str, bool]:
        out = {f"{s.label} {s.limit}": s.passed == s.n for s in self.labels if s.limit}
        total = self.pairs_total + self.corpus_pairs_total
        ok = self.pairs_ok + self.corpus_pairs_ok
        out[f"strong > weak in >= {PAIR_TARGET:.0%} of pairs"] = total > 0 and ok / total >= PAIR_TARGET
        if self.repeats:
            out["repeat grading identical"] = self.repeat_identical
        return out

    def summary(self) -> str:
        lines = [f"{'label':10} {'n':>3} {'mean':>5} {'min':>5} {'max':>5}  within limit"]
        for s in self.labels:
            lines.append(f"{s.label:10} {s.n:3d} {s.mean:5.1f} {s.min:5.1f} {s.max:5.1f}  "
                         f"{s.passed}/{s.n} {s.limit}")
        lines.append(f"labelled pairs strong > partial/wrong: {self.pairs_ok}/{self.pairs_total}")
        lines.append(f"corpus interview pairs strong > weak: {self.corpus_pairs_ok}/{self.corpus_pairs_total}")
        failed = [r.id for r in self.rows if r.error]
        if failed:
            lines.append(f"failed to grade ({len(failed)}): {', '.join(failed)}")
        if self.repeats:
            lines.append(f"repeats identical: {self.repeat_identical} {self.repeats}")
        if self.latency:
            lines.append("latency per LLM-graded answer (s): " +
                         ", ".join(f"{k} {v:.1f}" for k, v in self.latency.items()))
        lines += [f"[{'PASS' if ok else 'FAIL'}] {name}" for name, ok in self.checks().items()]
        return "\n".join(lines)


def load_labelled(path: Path | str) -> list[LabelledAnswer]:
    p = Path(path)
    if not p.exists():
        raise InputError(f"No labelled answers at {p}.")
    return [LabelledAnswer.model_validate_json(line) for line in p.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def corpus_pairs(bank: Any) -> list[LabelledAnswer]:
    """Weak and strong answers of the corpus's 'Интервью' sections as labelled rows."""
    out = []
    for item in bank.items:
        if item.weak_answer and item.strong_answer:
            out.append(LabelledAnswer(id=f"{item.id}-weak", question_id=item.id, question=item.question,
                                      label="weak", answer=item.weak_answer))
            out.append(LabelledAnswer(id=f"{item.id}-corpus-strong", question_id=item.id,
                                      question=item.question, label="strong", answer=item.strong_answer))
    return out


def label_stats(rows: list[Graded]) -> list[LabelStats]:
    out = []
    for label in ("strong", "partial", "wrong", "injection", "empty", "weak"):
        scores = [r.score for r in rows if r.label == label]
        if not scores:
            continue
        op, lim = LIMITS.get(label, ("", 0.0))
        passed = sum((s >= lim) if op == ">=" else (s <= lim) for s in scores) if op else len(scores)
        out.append(LabelStats(label=label, n=len(scores), mean=round(statistics.mean(scores), 2),
                              min=min(scores), max=max(scores), passed=passed,
                              limit=f"{op} {lim:g}" if op else ""))
    return out


def count_pairs(rows: list[Graded], better: str, worse: tuple[str, ...]) -> tuple[int, int]:
    """Per question: does the `better` answer outscore each `worse` one? -> (ok, total)."""
    by_q: dict[str, dict[str, float]] = {}
    for r in rows:
        by_q.setdefault(r.question_id, {})[r.label] = r.score
    ok = total = 0
    for labels in by_q.values():
        if better not in labels:
            continue
        for w in worse:
            if w in labels:
                total += 1
                ok += labels[better] > labels[w]
    return ok, total


def run_calibration(grader: Any, bank: Any, rows: list[LabelledAnswer], *, pairs: bool = True,
                    repeat: int = 0, workers: int = 1, done: list[Graded] | None = None,
                    progress: Callable[[Graded], None] | None = None) -> CalibrationReport:
    """Grade every row (and the corpus pairs); ``repeat`` re-grades the first few strong/wrong rows
    that many extra times to check determinism. ``done`` rows (from an interrupted run) are reused.
    A row whose grading fails is recorded with ``error`` and left out of the statistics."""
    reuse = {g.id: g for g in done or [] if not g.error}

    def one(row: LabelledAnswer, fresh: bool = False) -> Graded:
        if row.id in reuse and not fresh:
            return reuse[row.id]
        item = bank.get(row.question_id) if row.question_id and bank is not None else None
        t = time.perf_counter()
        try:
            g = grader.grade(row.question, row.answer, item=item)
            out = Graded(id=row.id, question_id=row.question_id, label=row.label, score=g.score,
                         seconds=round(time.perf_counter() - t, 2), flags=g.flags, detail=_detail(g))
        except TutorError as err:
            out = Graded(id=row.id, question_id=row.question_id, label=row.label, score=0.0,
                         seconds=round(time.perf_counter() - t, 2), error=str(err))
        if progress:
            progress(out)
        return out

    extra = corpus_pairs(bank) if pairs and bank is not None else []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        graded = list(pool.map(one, rows))
        corpus = list(pool.map(one, extra))
    repeats: dict[str, list[float]] = {}
    for row in [r for r in rows if r.label in ("strong", "wrong")][:3] if repeat else []:
        first = next(g.score for g in graded if g.id == row.id)
        repeats[row.id] = [first] + [one(row, fresh=True).score for _ in range(repeat)]
    errors = [g for g in graded + corpus if g.error]
    graded = [g for g in graded if not g.error]
    corpus = [g for g in corpus if not g.error]
    ok, total = count_pairs(graded, "strong", ("partial", "wrong"))
    c_ok, c_total = count_pairs(corpus, "strong", ("weak",))
    timed = [g.seconds for g in graded + corpus if "empty" not in g.flags]
    latency = {}
    if timed:
        latency = {"median": statistics.median(timed), "max": max(timed),
                   "p90": sorted(timed)[int(0.9 * (len(timed) - 1))]}
    return CalibrationReport(rows=graded + corpus + errors, labels=label_stats(graded + corpus), pairs_total=total,
                             pairs_ok=ok, corpus_pairs_total=c_total, corpus_pairs_ok=c_ok, repeats=repeats,
                             latency=latency)


def _detail(g: Any) -> list[str]:
    """'covered | key point | evidence' per point, then 'error: ...' and 'red flag: ...' lines."""
    return ([f"{p.verdict} | {p.point} | {p.evidence}" for p in g.points]
            + [f"error: {e}" for e in g.factual_errors] + [f"red flag: {f}" for f in g.red_flags])


class ReplayLLM:
    """Wraps a ChatLLM: a temperature-0 request identical to one recorded in ``path`` (same purpose,
    messages, schema, max_tokens) gets the recorded reply; any other goes to the model and is
    recorded. Grades at temperature 0 repeat exactly (docs/grading.md), so a re-calibration after a
    Python-only change re-asks the model only what changed (e.g. a new prompt)."""

    def __init__(self, llm: Any, path: Path | str) -> None:
        self.llm, self.path = llm, Path(path)
        self.model, self.context_window = llm.model, llm.context_window
        self.hits = self.misses = 0
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    self._seen[rec["key"]] = rec["reply"]

    def _key(self, *parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def _lookup(self, key: str, ask: Callable[[], str]) -> str:
        with self._lock:
            if key in self._seen:
                self.hits += 1
                return self._seen[key]
        reply = ask()
        with self._lock:
            self.misses += 1
            self._seen[key] = reply
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, "reply": reply}, ensure_ascii=False) + "\n")
        return reply

    def complete(self, messages: list[Any], *, purpose: str, max_tokens: int = 512, temperature: float = 0.0) -> str:
        def ask() -> str:
            return str(self.llm.complete(messages, purpose=purpose, max_tokens=max_tokens, temperature=temperature))
        if temperature != 0.0:
            return ask()
        return self._lookup(self._key("complete", purpose, messages, max_tokens), ask)

    def stream(self, messages: list[Any], **kw: Any) -> Any:
        return self.llm.stream(messages, **kw)

    def structured(self, messages: list[Any], schema: type[T], *, purpose: str, max_tokens: int = 1024,
                   temperature: float = 0.0) -> T:
        def ask() -> str:
            out = self.llm.structured(messages, schema, purpose=purpose, max_tokens=max_tokens,
                                      temperature=temperature)
            return str(out.model_dump_json())
        if temperature != 0.0:
            return schema.model_validate_json(ask())
        key = self._key("structured", purpose, messages, schema.model_json_schema(), max_tokens)
        return schema.model_validate_json(self._lookup(key, ask))

    def count_tokens(self, text: str) -> int:
        return int(self.llm.count_tokens(text))


def dump_rows(report: CalibrationReport, path: Path | str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in report.rows:
            fh.write(json.dumps(r.model_dump(), ensure_ascii=False) + "\n")
