"""The answering protocol (issue 20): questions written the way candidates ask, each with the facts
from the notes a correct answer must carry (evals/data/answers/questions.jsonl), split by
conversation into tune (prompts, thresholds and checks are fit here) and test (read once per design
change). ``tutor eval --suite answers`` runs it and reports both splits.

Every question is asked with the explanation requested (style 'explain'), so one run measures both
the default answer (the notes' part alone, ``Settings.explain == 'on_request'``) and the explanation.

Per split:
* facts_all: in-scope default answers (the notes' part) carrying every required fact (a fact counts
  when one of its spellings appears, case-insensitive); facts_share: required facts found;
  facts_all_explained: the same with the model's explanation under the notes;
* bank_right: questions written from a bank item answered from that item's notes;
* oos_honest: out-of-scope questions answered "the notes don't cover this" (nothing from the model);
* removed.<check>: explanation sentences each fact check removed (hand labels say which were right);
* notes_p50 / notes_max: seconds to the first useful content; total_p50: seconds to the full answer;
* with hand labels (evals/data/answers/labels.jsonl): the explanation's claims, contradicted,
  contradicted shown with a citation, not-in-notes. A default answer shows no model sentence.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from evals.results import ProgressCb, SuiteResult, Ticker, record_rows
from tutor.answering.conversation import Turn
from tutor.answering.factcheck import CHECKS

DATA = Path(__file__).parent / "data" / "answers" / "questions.jsonl"
LABELS = Path(__file__).parent / "data" / "answers" / "labels.jsonl"


class AnswerQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    question: str
    lang: str = ""
    kind: str = ""
    conversation: str | None = Field(None, description="Id of the question this one follows up.")
    facts: list[str] = Field(default_factory=list)
    fact_terms: list[list[str]] = Field(default_factory=list)
    bank_id: str | None = None
    split: str = "test"

    @property
    def in_scope(self) -> bool:
        return self.kind != "out_of_scope"


class ClaimLabel(BaseModel):
    """One sentence of a recorded answer, labelled by hand against the notes."""

    model_config = ConfigDict(extra="ignore")
    id: str
    part: str = Field(description="notes | explanation")
    sentence: str
    label: str = Field(description="supported | contradicted | not_in_notes")
    cited: bool = False


def load(path: Path = DATA) -> list[AnswerQuestion]:
    return [AnswerQuestion.model_validate_json(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def load_labels(path: Path = LABELS) -> list[ClaimLabel]:
    if not path.is_file():
        return []
    return [ClaimLabel.model_validate_json(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def found_facts(q: AnswerQuestion, text: str) -> list[bool]:
    low = text.lower()
    return [any(t.lower() in low for t in spellings) for spellings in q.fact_terms]


def ask_rows(tutor: Any, rows: Sequence[AnswerQuestion], *, progress: Callable[[], None] | None = None
             ) -> list[dict[str, Any]]:
    """Ask every question with the explanation requested (a follow-up after the question it follows,
    with that answer as history)."""
    answers: dict[str, Any] = {}
    by_id = {r.id: r for r in rows}

    def start(r: AnswerQuestion) -> dict[str, Any]:
        return {"id": r.id, "split": r.split, "kind": r.kind, "question": r.question, "want_bank": r.bank_id or ""}

    def fill(r: AnswerQuestion, row: dict[str, Any]) -> None:
        history: list[Turn] = []
        if r.conversation and r.conversation in answers and r.conversation in by_id:
            history = [Turn(role="user", content=by_id[r.conversation].question),
                       Turn(role="assistant", content=answers[r.conversation].text)]
        t = time.perf_counter()
        a = tutor.ask(r.question, history, style="explain")
        answers[r.id] = a
        row.update(covered=a.covered, notes_origin=a.notes_origin, bank_id=a.bank_id,
                   bank_question=a.bank_question, notes=a.notes, explanation=a.explanation,
                   removed=[x.model_dump() for x in a.removed], text=a.text,
                   rewritten=a.rewritten_query, facts=found_facts(r, a.notes),
                   facts_explained=found_facts(r, a.text), seconds=time.perf_counter() - t,
                   notes_s=a.timings.get("notes_s"), total_s=a.timings.get("total_s"),
                   citations=[{"n": c.n, "chunk_id": c.chunk_id, "origin": c.origin} for c in a.citations],
                   citation_texts=[c.text for c in a.citations])

    return record_rows(rows, start, fill, progress)


def explanation_sentences(row: dict[str, Any]) -> list[str]:
    """The sentences of a recorded answer's explanation as shown (labels are keyed by them)."""
    from tutor.text.sentences import sentences

    return [x for line in (row.get("explanation") or "").splitlines() for x in sentences(line)]


def _p50(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def figures(rows: Sequence[dict[str, Any]], labels: Sequence[ClaimLabel] = ()) -> dict[str, float | None]:
    done = [r for r in rows if "error" not in r]
    scope = [r for r in done if r["kind"] != "out_of_scope"]
    oos = [r for r in done if r["kind"] == "out_of_scope"]
    out: dict[str, float | None] = {}
    out["facts_all"] = sum(all(r["facts"]) for r in scope) / len(scope) if scope else None
    n_facts = sum(len(r["facts"]) for r in scope)
    out["facts_share"] = sum(sum(r["facts"]) for r in scope) / n_facts if n_facts else None
    explained = [r for r in scope if "facts_explained" in r]
    out["facts_all_explained"] = sum(all(r["facts_explained"]) for r in explained) / len(explained) if explained else None
    banked = [r for r in scope if r["want_bank"]]
    out["bank_right"] = sum(r["bank_id"] == r["want_bank"] for r in banked) / len(banked) if banked else None
    out["bank_answered"] = sum(r["notes_origin"] == "bank" for r in scope) / len(scope) if scope else None
    out["oos_honest"] = sum(not r["covered"] for r in oos) / len(oos) if oos else None
    out["in_scope_covered"] = sum(r["covered"] for r in scope) / len(scope) if scope else None
    for check in CHECKS:
        out[f"removed.{check}"] = sum(x["check"] == check for r in done for x in r["removed"])
    out["notes_p50"] = _p50([r["notes_s"] for r in done if r.get("notes_s") is not None])
    out["notes_max"] = max((r["notes_s"] for r in done if r.get("notes_s") is not None), default=None)
    out["total_p50"] = _p50([r["total_s"] for r in scope if r.get("total_s") is not None])
    out["failed"] = len(rows) - len(done)
    shown = {(r["id"], x) for r in done for x in explanation_sentences(r)}
    mine = [c for c in labels if (c.id, c.sentence) in shown]
    if labels:
        out["unlabelled"] = len(shown - {(c.id, c.sentence) for c in labels})
    if mine:
        out["claims"] = len(mine)
        out["contradicted"] = sum(c.label == "contradicted" for c in mine) / len(mine)
        out["contradicted_cited"] = sum(c.label == "contradicted" and c.cited for c in mine)
        out["not_in_notes"] = sum(c.label == "not_in_notes" for c in mine) / len(mine)
    return out


def run_answer_set(tutor: Any, rows: Sequence[AnswerQuestion], *, splits: Sequence[str] = ("tune", "test"),
                   labels: Sequence[ClaimLabel] = (), progress: ProgressCb | None = None) -> SuiteResult:
    t0 = time.perf_counter()
    result = SuiteResult(suite="answers")
    chosen = [r for r in rows if r.split in splits]
    ticker = Ticker("answers", len(chosen), progress)
    asked = ask_rows(tutor, chosen, progress=ticker.tick)
    for split in splits:
        part = [a for a in asked if a["split"] == split]
        if not part:
            continue
        for k, v in figures(part, labels).items():
            result.metrics[f"answers.{split}.{k}"] = v
        result.notes.append(f"{split}: {len(part)} questions "
                            f"({sum(a['kind'] == 'out_of_scope' for a in part)} out of scope)")
    result.counts = {"answers.asked": len(asked), "answers.failed": sum("error" in a for a in asked)}
    result.rows = asked
    result.notes += sorted({f"answer error: {a['error'][:200]}" for a in asked if "error" in a})
    result.duration_s = time.perf_counter() - t0
    return result


def judge_agreement(judge: Any, result: SuiteResult, labels: Sequence[ClaimLabel]) -> None:
    """Run the RAGAS faithfulness judge (``Judge.supported``) on every hand-labelled claim of the
    recorded answers, with the answer's cited notes as context, and report its agreement with the
    hand labels: judge_faithfulness (share it calls supported) beside hand_supported, and the
    precision / recall of its "unsupported" verdict against hand "contradicted or not in the notes"
    (and its recall of "contradicted" alone)."""
    rows = {r["id"]: r for r in result.rows if "error" not in r}
    by_answer: dict[str, list[ClaimLabel]] = {}
    for c in labels:
        if c.id in rows:
            by_answer.setdefault(c.id, []).append(c)
    pairs: list[tuple[ClaimLabel, int]] = []
    for aid, claims in by_answer.items():
        contexts = [rows[aid].get("notes", ""), *rows[aid].get("citation_texts", [])]
        try:
            verdicts = judge.supported([c.sentence for c in claims], [c for c in contexts if c])
        except Exception as err:  # noqa: BLE001 - a judge failure loses this answer's claims only
            result.notes.append(f"judge failed on {aid}: {type(err).__name__}: {err}"[:200])
            continue
        pairs += list(zip(claims, verdicts, strict=False))
    if not pairs:
        return
    split = rows[pairs[0][0].id]["split"]
    bad = [c.label != "supported" for c, _ in pairs]
    flagged = [v == 0 for _, v in pairs]
    tp = sum(b and f for b, f in zip(bad, flagged, strict=True))
    m = result.metrics
    m[f"answers.{split}.judge.claims"] = len(pairs)
    m[f"answers.{split}.judge.faithfulness"] = sum(v == 1 for _, v in pairs) / len(pairs)
    m[f"answers.{split}.judge.hand_supported"] = sum(not b for b in bad) / len(pairs)
    m[f"answers.{split}.judge.unsupported_precision"] = tp / sum(flagged) if any(flagged) else None
    m[f"answers.{split}.judge.unsupported_recall"] = tp / sum(bad) if any(bad) else None
    contra = [f for (c, _), f in zip(pairs, flagged, strict=True) if c.label == "contradicted"]
    m[f"answers.{split}.judge.contradicted_recall"] = sum(contra) / len(contra) if contra else None
    result.notes.append(f"judge vs hand labels on {len(pairs)} claims: the RAGAS faithfulness of this "
                        "judge is trustworthy only as far as this agreement goes")


def label_items(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a hand labeller gets per recorded answer: the question, the notes the tutor showed (and
    the cited chunks), and the explanation's sentences plus those a check removed (labelled blind)."""
    out = []
    for r in rows:
        if "error" in r:
            continue
        sents = explanation_sentences(r) + [x["sentence"] for x in r.get("removed", [])]
        if sents:
            out.append({"id": r["id"], "question": r["question"],
                        "notes": [r.get("notes", ""), *r.get("citation_texts", [])], "sentences": sents})
    return out


def stored_rows(report_json: Path) -> list[dict[str, Any]]:
    """The answers suite's rows of a written report (reports/<id>/report.json)."""
    import json

    doc = json.loads(report_json.read_text(encoding="utf-8"))
    return [row for s in doc["suites"] if s["suite"] == "answers" for row in s["rows"]]


def rescore(rows: Sequence[dict[str, Any]], labels: Sequence[ClaimLabel], judge: Any = None) -> SuiteResult:
    """Figures of stored answers with the hand labels (and the judge's agreement when ``judge``)
    without asking the tutor again. Removed sentences count separately: a check's precision."""
    result = SuiteResult(suite="answers", rows=list(rows))
    kept_labels = []
    removed = {(r["id"], x["sentence"]): x["check"] for r in rows if "error" not in r for x in r.get("removed", [])}
    for split in sorted({r["split"] for r in rows}):
        part = [r for r in rows if r["split"] == split]
        ids = {r["id"] for r in part}
        shown = [c for c in labels if c.id in ids and (c.id, c.sentence) not in removed]
        kept_labels += shown
        for k, v in figures(part, shown).items():
            result.metrics[f"answers.{split}.{k}"] = v
        for check in CHECKS:
            hit = [c for c in labels if c.id in ids and removed.get((c.id, c.sentence)) == check]
            result.metrics[f"answers.{split}.removed.{check}.on_supported"] = sum(c.label == "supported" for c in hit)
            result.metrics[f"answers.{split}.removed.{check}.on_contradicted"] = sum(c.label == "contradicted" for c in hit)
    if judge is not None and kept_labels:
        judge_agreement(judge, result, kept_labels)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """python -m evals.run_answer_set items REPORT_JSON OUT.jsonl   (input for the hand labellers)
    python -m evals.run_answer_set rescore REPORT_JSON [--judge]  (figures with evals/data/answers/labels.jsonl)"""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m evals.run_answer_set")
    ap.add_argument("command", choices=["items", "rescore"])
    ap.add_argument("report", type=Path)
    ap.add_argument("out", type=Path, nargs="?")
    ap.add_argument("--judge", action="store_true", help="Also run the RAGAS judge on the labelled claims.")
    args = ap.parse_args(argv)
    rows = stored_rows(args.report)
    if args.command == "items":
        if args.out is None:
            ap.error("items needs OUT")
        items = label_items(rows)
        args.out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        print(f"{len(items)} answers, {sum(len(i['sentences']) for i in items)} sentences -> {args.out}")
        return
    if args.judge:
        from evals.judge import Judge
        from tutor.services import Services

        with Services() as services:
            result = rescore(rows, load_labels(), Judge(services.llm))
    else:
        result = rescore(rows, load_labels())
    for k, v in result.metrics.items():
        print(f"{k:52s} {v if v is None or isinstance(v, int) else round(v, 3)}")
    for n in result.notes:
        print("note:", n)


if __name__ == "__main__":
    main()
