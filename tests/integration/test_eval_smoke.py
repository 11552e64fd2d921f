"""The CI smoke eval: retrieval on the paraphrase + golden sets, three questions of the answers
protocol (notes first, then the explanation), a few labelled answers through the real grader; fails
on threshold regressions."""

from __future__ import annotations

from pathlib import Path


def test_smoke_suite_meets_thresholds(ingested_services, tmp_path: Path):
    from evals.api import list_reports, run_suite

    report = run_suite(ingested_services, "smoke", reports_dir=tmp_path)
    assert report.failures == [], "\n".join(report.failures)
    assert (report.path / "summary.html").exists()
    assert list_reports(tmp_path)[0].id == report.id
    m = report.metrics
    # the suites really ran on real data (not empty sets)
    assert report.suites[0].counts["retrieval.paraphrase.hybrid.hit@5"] >= 50
    assert m["answers.tune.facts_share"] is not None and report.suites[1].counts["answers.asked"] == 3
    assert m["grading.tune.pair_order"] is not None and report.suites[-1].counts["grading.graded"] == 5
