"""The grading protocol (issue 19): labelled answers written from the notes by someone who never
saw the grader, split by bank question into tune (rules, thresholds and prompts are fit here) and
test (read once per design change). ``tutor eval --suite grading`` runs it and reports both.

Per split:
* pair order: within a question, every (strong, partial), (strong, wrong), (partial, wrong) pair
  ordered by score (ties count half);
* strong_ge7: strong answers (any style) scoring >= 7; wrong_le3: wrong answers (swapped relations,
  wrong numbers, confident nonsense) <= 3; terms_le5: bare term lists <= 5; injection_le2; empty_0;
  off_topic_le3;
* repeat_identical: a sample graded twice gets the same score;
* rule firings on strong answers (a rule may fire on at most 1 in 50 correct answers);
* median grade seconds.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from evals.results import ProgressCb, SuiteResult, Ticker, record_rows

DATA = Path(__file__).parent / "data" / "grading" / "answers.jsonl"
ORDER = {"wrong": 0, "partial": 1, "strong": 2}
LIMITS: dict[str, tuple[str, float]] = {"strong": (">=", 7.0), "wrong": ("<=", 3.0), "terms": ("<=", 5.0),
                                        "injection": ("<=", 2.0), "empty": ("<=", 0.0), "off_topic": ("<=", 3.0)}
RULE_FLAGS = ("term_list", "truncated", "unverified_numbers")


class LabelledAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    question_id: str
    question: str
    answer: str
    label: str
    style: str = ""
    lang: str = ""
    split: str = "test"


class GraderLike(Protocol):
    def grade(self, question: str, answer: str, *, item: Any = None, context: Any = None) -> Any: ...


def load(path: Path = DATA) -> list[LabelledAnswer]:
    return [LabelledAnswer.model_validate_json(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def pair_order(rows: Sequence[dict[str, Any]]) -> float | None:
    """Share of within-question pairs of different labels ordered by score (ties = 0.5)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["label"] in ORDER and "score" in r:
            groups[r["question_id"]].append(r)
    good = total = 0.0
    for g in groups.values():
        for a, b in combinations(g, 2):
            if ORDER[a["label"]] == ORDER[b["label"]]:
                continue
            hi, lo = (a, b) if ORDER[a["label"]] > ORDER[b["label"]] else (b, a)
            good += 1.0 if hi["score"] > lo["score"] else 0.5 if hi["score"] == lo["score"] else 0.0
            total += 1
    return good / total if total else None


def within(label: str, score: float) -> bool:
    op, limit = LIMITS[label]
    return score >= limit if op == ">=" else score <= limit


def figures(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    graded = [r for r in rows if "score" in r]
    out: dict[str, float | None] = {"pair_order": pair_order(graded)}
    for label in LIMITS:
        part = [r for r in graded if r["label"] == label]
        op, limit = LIMITS[label]
        key = f"{label}_{'ge' if op == '>=' else 'le'}{limit:g}"
        out[key] = sum(within(label, r["score"]) for r in part) / len(part) if part else None
    for label in ORDER:
        scores = [float(r["score"]) for r in graded if r["label"] == label]
        out[f"mean.{label}"] = statistics.fmean(scores) if scores else None
    strong = [r for r in graded if r["label"] == "strong"]
    for flag in RULE_FLAGS:
        out[f"rule.{flag}.on_strong"] = sum(flag in r.get("flags", []) for r in strong)
        out[f"rule.{flag}.fired"] = sum(flag in r.get("flags", []) for r in graded)
        out[f"rule.{flag}.strong_below7"] = sum(flag in r.get("flags", []) and r["score"] < 7 for r in strong)
    secs = [r["seconds"] for r in graded if r["label"] not in ("empty",)]
    out["median_seconds"] = statistics.median(secs) if secs else None
    out["failed"] = sum("error" in r for r in rows)
    return out


def by_style(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean score and share within the label's limit per (label, style)."""
    out: dict[str, dict[str, float]] = {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if "score" in r:
            groups[f"{r['label']}/{r['style']}"].append(r)
    for k, g in sorted(groups.items()):
        label = k.split("/")[0]
        out[k] = {"n": len(g), "mean": statistics.fmean(x["score"] for x in g),
                  "within": sum(within(label, x["score"]) for x in g) / len(g) if label in LIMITS else float("nan")}
    return out


def grade_rows(grader: GraderLike, rows: Sequence[LabelledAnswer], *, progress: Callable[[], None] | None = None
               ) -> list[dict[str, Any]]:
    def start(r: LabelledAnswer) -> dict[str, Any]:
        return {"id": r.id, "question_id": r.question_id, "label": r.label, "style": r.style, "split": r.split}

    def fill(r: LabelledAnswer, row: dict[str, Any]) -> None:
        t = time.perf_counter()
        g = grader.grade(r.question, r.answer)
        row.update(score=float(g.score), flags=list(g.flags), seconds=time.perf_counter() - t,
                   matched=g.question_id, match_score=g.match_score,
                   points=[{"verdict": p.verdict, "sim": p.similarity, "probe": p.probe} for p in g.points])

    return record_rows(rows, start, fill, progress)


def run_grading(grader: GraderLike, rows: Sequence[LabelledAnswer], *, splits: Sequence[str] = ("tune", "test"),
                repeats: int = 5, progress: ProgressCb | None = None) -> SuiteResult:
    t0 = time.perf_counter()
    result = SuiteResult(suite="grading")
    chosen = [r for r in rows if r.split in splits]
    again = [r for r in chosen if r.label in ("strong", "partial", "wrong")][::max(1, len(chosen) // max(1, repeats))]
    again = again[:repeats]
    ticker = Ticker("grading", len(chosen) + len(again), progress)
    graded = grade_rows(grader, chosen, progress=ticker.tick)
    for split in splits:
        part = [g for g in graded if g["split"] == split]
        if not part:
            continue
        for k, v in figures(part).items():
            result.metrics[f"grading.{split}.{k}"] = v
        result.notes.append(f"{split}: {len(part)} answers over {len({g['question_id'] for g in part})} questions")
        for k, st in by_style(part).items():
            result.metrics[f"grading.{split}.style.{k}"] = st["mean"]
    first = {g["id"]: g.get("score") for g in graded}
    same = []
    for r in again:
        second = grade_rows(grader, [r], progress=ticker.tick)[0]
        same.append(second.get("score") == first.get(r.id))
    result.metrics["grading.repeat_identical"] = sum(same) / len(same) if same else None
    result.counts = {"grading.graded": sum("score" in g for g in graded), "grading.failed": sum("error" in g for g in graded)}
    result.rows = graded
    result.notes += sorted({f"grading error: {g['error'][:200]}" for g in graded if "error" in g})
    result.duration_s = time.perf_counter() - t0
    return result


def rescore(rows: Sequence[dict[str, Any]], **params: float) -> list[dict[str, Any]]:
    """Stored rows with the score recomputed from their per-point readings by
    ``tutor.grading.score.compute_score(**params)`` (no model call). Empty answers and term lists,
    scored without the judge, keep their score."""
    from tutor.grading.schema import PointResult
    from tutor.grading.score import compute_score

    out = []
    for r in rows:
        pts = r.get("points") or []
        if "score" not in r or not pts or set(r.get("flags", [])) & {"empty", "term_list"}:
            out.append(dict(r))
            continue
        points = [PointResult(point="", verdict=p["verdict"], probe=p.get("probe") or {}) for p in pts]
        unverified = "unverified_numbers" in r.get("flags", [])
        out.append({**r, "score": compute_score(points, unverified=unverified, **params)})
    return out


def replay(report: Path, split: str = "tune") -> None:
    """Print ``split``'s figures for the stored readings of a grading report, with the score's
    parameters swept (the tune split is where they are chosen)."""
    import itertools
    import json

    from tutor.grading.thresholds import GRADING


    rows = [r for r in json.loads(report.read_text(encoding="utf-8"))["suites"][0]["rows"] if r.get("split") == split]
    keys = ("pair_order", "strong_ge7", "wrong_le3", "terms_le5", "injection_le2", "off_topic_le3", "mean.partial")

    def show(name: str, part: Sequence[dict[str, Any]]) -> None:
        f = figures(part)
        partial = [r["score"] for r in part if r["label"] == "partial" and "score" in r]
        high = sum(s >= 8 for s in partial) / len(partial) if partial else 0.0
        print(f"{name:<28}", "  ".join(f"{k} {f[k]:.3f}" for k in keys if f.get(k) is not None), f"  partial_ge8 {high:.3f}")

    show("stored", rows)
    show(f"current ({GRADING.score_mid}, {GRADING.score_scale}, {GRADING.full_at})", rescore(rows))
    for mid, scale, full_at in itertools.product((0.10, 0.15, 0.20), (0.04, 0.06, 0.08), (0.7, 0.8, 1.0)):
        show(f"mid {mid} scale {scale} full {full_at}", rescore(rows, mid=mid, scale=scale, full_at=full_at))


if __name__ == "__main__":
    import sys

    if len(sys.argv) >= 3 and sys.argv[1] == "--replay":
        replay(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "tune")
    else:
        print("usage: python -m evals.run_grading --replay reports/<id>/report.json [tune|test]")
