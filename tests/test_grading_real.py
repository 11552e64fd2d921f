"""Behaviour of the grader with the REAL default models (embedded engine or TUTOR_LLM_BASE_URL):
a small subset of evals/data/labelled_answers.jsonl — 3 questions x strong / wrong / injection
+ empty — must meet the issue-5 thresholds, and a repeated grade must be identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.grading.calibration import load_labelled, run_calibration
from tutor.grading.grader import Grader

LABELLED = Path(__file__).resolve().parent.parent / "evals" / "data" / "labelled_answers.jsonl"
QUESTIONS = ("b1cc3a91f8bc", "0530e96f25d4", "2a05504a1df8")  # BPE vs WordPiece, GQA/MQA/MHA, top-k gating


@pytest.fixture(scope="module")
def report(ingested_services):
    rows = [r for r in load_labelled(LABELLED)
            if r.question_id in QUESTIONS and r.label in ("strong", "wrong", "injection", "empty")]
    assert len(rows) == 12
    grader = Grader.from_services(ingested_services, llm_follow_up=False)
    return run_calibration(grader, ingested_services.bank, rows, pairs=False, repeat=1)


@pytest.mark.slow
def test_thresholds_on_real_model(report) -> None:
    """Issue-5 thresholds on these 3 questions (all met since 2026-11-22). The full calibration over
    15 questions is scripts/calibrate_grader.py: all met on 2026-11-30, evening (docs/grading.md)."""
    by = {s.label: s for s in report.labels}
    assert by["strong"].min >= 7, report.summary()
    assert by["wrong"].max <= 3, report.summary()
    assert by["injection"].max <= 2, report.summary()
    assert by["empty"].max == 0, report.summary()
    assert report.pairs_ok == report.pairs_total == 3, report.summary()


@pytest.mark.slow
def test_repeat_grading_is_identical(report) -> None:
    assert report.repeats and report.repeat_identical, report.repeats


@pytest.mark.slow
def test_free_form_question_is_matched_to_the_bank(ingested_services) -> None:
    grader = Grader.from_services(ingested_services, llm_follow_up=False)
    g = grader.grade("Чем отличаются BPE и WordPiece?", "")
    assert g.score == 0 and "empty" in g.flags
    g = grader.grade("В чём разница между BPE и WordPiece?", "Не знаю.")
    assert g.question_id == "b1cc3a91f8bc" and g.score <= 2
