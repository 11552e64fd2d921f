"""Python API used by the CLI and the UI: ``run_suite`` and ``list_reports`` (see docs/evals.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from evals import golden as gd
from evals import run_answer_set as answer_protocol
from evals import run_grading as grading_protocol
from evals.judge import Judge
from evals.report import (
    Report,
    ReportSummary,
    compute_delta,
    list_reports,
    load_report,
    new_report_id,
    previous_report,
    write_report,
)
from evals.results import ProgressCb, SuiteResult
from evals.run_answers import run_answers
from evals.run_retrieval import run_retrieval
from evals.thresholds import THRESHOLDS_PATH, check_thresholds, load_thresholds
from tutor.core.ports import ChatLLM
from tutor.core.types import BankItem, Filters, Hit, Mode

Suite = Literal["retrieval", "answers", "ragas", "grading", "smoke", "all"]
SUITES: tuple[str, ...] = ("retrieval", "answers", "ragas", "grading", "smoke", "all")
SMOKE = {"golden": 20, "answers": 3, "grading": 5, "repeat": 1}
# Each RAGAS-scored golden question costs one answer + five judge steps (~2-4 min on 2 CPU cores), so
# the ragas suite takes a sample by default: the golden file is interleaved by topic, so the first 12
# items are 12 different topics. ``answers_limit=0`` runs all of them (hours on a CPU).
ANSWERS_SAMPLE = 12

__all__ = ["Report", "ReportSummary", "list_reports", "load_report", "run_suite", "SUITES"]


class LockedSearcher:
    """Serialises searches from worker threads (one embedded Qdrant client)."""

    def __init__(self, inner: Any, lock: threading.Lock) -> None:
        self.inner, self.lock = inner, lock

    def search(self, query: str, *, k: int = 5, mode: Mode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        with self.lock:
            return self.inner.search(query, k=k, mode=mode, filters=filters)  # type: ignore[no-any-return]


def _take(items: Sequence[Any], n: int | None) -> list[Any]:
    return list(items if n is None else items[:n])


def answers_sample(limit: int | None, answers_limit: int | None) -> int | None:
    """How many golden questions the answers suite answers: ``answers_limit`` if given (0 = all),
    else ``limit`` if given, else the default sample."""
    if answers_limit is not None:
        return None if answers_limit <= 0 else answers_limit
    return limit if limit is not None else ANSWERS_SAMPLE


def bank_items(services: Any) -> list[BankItem]:
    bank = services.bank
    items = getattr(bank, "items", bank)
    items = items() if callable(items) else items
    return list(items.values() if isinstance(items, dict) else items)


def _golden(services: Any, notes: list[str]) -> list[gd.GoldenItem]:
    items = gd.load_golden()
    try:
        current = gd.bank_hash(bank_items(services))
        if items and items[0].bank_hash != current:
            notes.append(f"golden set built from bank {items[0].bank_hash}, current bank is {current}: "
                         "rebuild with `tutor eval golden`")
    except Exception as err:  # noqa: BLE001 - a missing bank only weakens the staleness check
        notes.append(f"could not hash the current bank: {err}")
    return items


def _retrieval(services: Any, limit: int | None, progress: ProgressCb | None,
               golden_limit: int | None, notes: list[str]) -> SuiteResult:
    paraphrases = _take(gd.load_paraphrases(), limit)
    golden = _take(_golden(services, notes), golden_limit if limit is None else limit)
    return run_retrieval(services.retriever, paraphrases, golden, k=services.settings.top_k,
                         progress=progress)


def _answer_set(services: Any, limit: int | None, judge_llm: ChatLLM | None, progress: ProgressCb | None,
                splits: Sequence[str], judge: bool) -> SuiteResult:
    """The answering protocol on evals/data/answers/questions.jsonl (tune and test splits); with
    ``judge``, the RAGAS faithfulness judge is also run on the hand-labelled claims and its
    agreement with the hand labels reported."""
    rows = [r for r in answer_protocol.load() if r.split in splits]
    searcher = LockedSearcher(services.retriever, threading.Lock())
    tutor = services.tutor(searcher)
    labels = answer_protocol.load_labels()
    result = answer_protocol.run_answer_set(tutor, _take(rows, limit), splits=splits, labels=labels,
                                            progress=progress)
    if judge and labels:
        answer_protocol.judge_agreement(Judge(judge_llm or services.llm), result, labels)
    return result


def _answers(services: Any, limit: int | None, judge_llm: ChatLLM | None,
             progress: ProgressCb | None, notes: list[str]) -> SuiteResult:
    all_golden = _golden(services, notes)
    golden = _take(all_golden, limit)
    notes.append(f"answers suite: {len(golden)} of {len(all_golden)} golden questions "
                 f"({len({g.topic for g in golden})} topics)")
    searcher = LockedSearcher(services.retriever, threading.Lock())
    tutor = services.tutor(searcher)  # the same pipeline as `tutor ask`
    judge = Judge(judge_llm or services.llm)
    return run_answers(tutor, judge, services.embedder, golden,
                       workers=max(1, services.settings.llm_parallel), progress=progress)


def _grading(services: Any, limit: int | None, progress: ProgressCb | None, smoke: bool,
             splits: Sequence[str], repeats: int | None) -> SuiteResult:
    """The grading protocol on evals/data/grading/answers.jsonl (tune and test splits)."""

    rows = [r for r in grading_protocol.load() if r.split in splits]
    # the follow-up question does not change the score: skip its LLM call
    grader = services.grader(llm_follow_up=False)
    n_repeat = SMOKE["repeat"] if smoke else (5 if repeats is None else repeats)
    return grading_protocol.run_grading(grader, _take(rows, limit), splits=splits, repeats=n_repeat,
                                        progress=progress)


def _judge_llm(services: Any, judge_url: str | None) -> ChatLLM | None:
    if not judge_url:
        return None
    from tutor.llm.client import LLMClient

    return LLMClient.from_settings(services.settings, base_url=judge_url)  # type: ignore[no-any-return]


def run_suite(services: Any, suite: str = "retrieval", limit: int | None = None,
              progress_cb: ProgressCb | None = None, judge: ChatLLM | None = None,
              judge_url: str | None = None, reports_dir: Path | None = None,
              thresholds_path: Path = THRESHOLDS_PATH, splits: Sequence[str] = ("tune", "test"),
              n_repeat: int | None = None, answers_limit: int | None = None, judge_claims: bool = True) -> Report:
    """Run a suite, write reports/<timestamp>/ and return the Report (with delta and failures).
    ``splits``: the grading protocol's splits to run (tune and test); ``n_repeat``: answers graded
    twice to check the score repeats (default 5). ``answers_limit``: golden questions the
    ragas suite answers (default ``limit``, else ANSWERS_SAMPLE; 0 = all). ``judge_claims``: the answers
    suite also runs the RAGAS judge on the hand-labelled claims (agreement with the hand labels)."""
    if suite not in SUITES:
        from tutor.core.errors import InputError

        raise InputError(f"Unknown eval suite '{suite}'. Choose one of: {', '.join(SUITES)}.")
    t0 = time.perf_counter()
    smoke = suite == "smoke"
    judge_llm = judge or _judge_llm(services, judge_url)
    notes: list[str] = []
    results: list[SuiteResult] = []
    if suite in ("retrieval", "all", "smoke"):
        results.append(_retrieval(services, limit, progress_cb, SMOKE["golden"] if smoke else None, notes))
    if suite in ("answers", "all", "smoke"):
        results.append(_answer_set(services, SMOKE["answers"] if smoke else limit, judge_llm, progress_cb,
                                   ("tune",) if smoke else splits, judge_claims and not smoke))
    if suite in ("ragas", "all"):
        results.append(_answers(services, answers_sample(limit, answers_limit), judge_llm, progress_cb, notes))
    if suite in ("grading", "all", "smoke"):
        results.append(_grading(services, SMOKE["grading"] if smoke else limit, progress_cb, smoke,
                                ("tune",) if smoke else splits, n_repeat))
    if results:
        results[0].notes += notes
    return finish_report(services, suite, limit, results, time.perf_counter() - t0,
                         reports_dir or services.settings.reports_dir,
                         thresholds_path if smoke else None)


def finish_report(services: Any, suite: str, limit: int | None, results: list[SuiteResult],
                  duration: float, reports_dir: Path, thresholds_path: Path | None) -> Report:
    from evals import plots

    rid = base = new_report_id()
    n = 1
    while (reports_dir / rid).exists():  # two runs in the same second
        n += 1
        rid = f"{base}-{n}"
    metrics: dict[str, float | None] = {}
    for r in results:
        metrics.update(r.metrics)
    s = services.settings
    report = Report(id=rid, path=reports_dir / rid, created=datetime.now(UTC).isoformat(timespec="seconds"),
                    suite=suite, limit=limit, duration_s=round(duration, 1), metrics=metrics,
                    settings={"llm_model": s.llm_model, "llm_base_url": s.llm_base_url or "embedded",
                              "embed_model": s.embed_model, "top_k": s.top_k,
                              "retrieval_mode": s.retrieval_mode},
                    suites=results)
    prev = previous_report(reports_dir, suite, rid)
    if prev is not None:
        report.previous_id = prev.id
        report.delta = compute_delta(metrics, prev.metrics)
    if thresholds_path is not None:
        report.failures = check_thresholds(metrics, load_thresholds(thresholds_path))
    report.path.mkdir(parents=True, exist_ok=True)
    for r in results:
        if r.suite == "retrieval":
            report.plots += plots.retrieval_bars(r, report.path)
        elif r.suite == "ragas":
            from evals.answer_eval import EMBED_METRICS, LLM_METRICS

            report.plots += plots.metric_distributions(r, [*LLM_METRICS, *EMBED_METRICS], report.path)
        elif r.suite == "grading":
            report.plots += plots.grade_by_label(r, report.path)
    write_report(report)
    return report
