"""The grader with the REAL default models (embedded engine or TUTOR_LLM_BASE_URL) on the first
three TUNE questions of the grading protocol (evals/data/grading/answers.jsonl; the test split is
only read by `tutor eval --suite grading`): each question's answers in order, empty = 0, a repeat is
identical, typed phrasings reach their bank item and an off-bank question none. The figures over
the whole protocol are in the README (tune and test)."""

from __future__ import annotations

import pytest

from evals import bank_match
from evals import run_grading as protocol


@pytest.fixture(scope="module")
def grader(ingested_services):
    return ingested_services.grader(llm_follow_up=False)


@pytest.fixture(scope="module")
def graded(grader):
    tune = [r for r in protocol.load() if r.split == "tune"]
    first = sorted({r.question_id for r in tune})[:3]
    rows = [r for r in tune if r.question_id in first]
    assert len(rows) == 15
    return protocol.grade_rows(grader, rows)


def test_strong_answers_outscore_wrong_ones_and_empty_is_zero(graded) -> None:
    assert not [r for r in graded if "error" in r], graded
    for qid in {r["question_id"] for r in graded}:
        mine = [r for r in graded if r["question_id"] == qid]
        strong = max(r["score"] for r in mine if r["label"] == "strong")
        wrong = min(r["score"] for r in mine if r["label"] == "wrong")
        assert strong > wrong, mine
    assert all(r["score"] == 0 for r in graded if r["label"] in ("empty", "off_topic")), graded
    assert protocol.pair_order(graded) >= 0.75, graded


def test_repeat_grading_is_identical(grader, graded) -> None:
    row = next(r for r in protocol.load() if r.id == graded[0]["id"])
    again = grader.grade(row.question, row.answer)
    assert again.score == graded[0]["score"]


def test_typed_phrasings_reach_their_bank_item(grader) -> None:
    rows = [r for r in bank_match.load() if r.split == "tune"][:12]
    for r in rows:
        m = grader.match(r.text)
        if r.bank_id is None:
            assert m is None, (r.text, m)
    hits = sum(1 for r in rows if r.bank_id and (m := grader.match(r.text)) and m.item.id == r.bank_id)
    assert hits >= sum(1 for r in rows if r.bank_id) - 1


def test_a_paraphrased_question_is_graded_against_its_bank_item(grader) -> None:
    g = grader.grade("чем вообще BPE отличается от WordPiece", "")
    assert g.score == 0 and "empty" in g.flags and g.question_id == "b1cc3a91f8bc"
