"""How often the comparison mix-up check (tutor.crosscheck) fires, on an ingested store:

1. correct texts — bank reference answers, the notes' strong example answers and the labelled strong
   answers whose question compares >= 2 rivals — each against the top-5 hybrid sources of its own
   question: every flag here is a false alarm;
2. the same texts with the first two rivals swapped ('GPTQ' <-> 'AWQ'): flags here are wanted; and,
   graded as a candidate's answer, whether the grader's other deterministic conflict checks (lexical,
   as in production) already catch the swap, and whether the mix-up check on the grader's sources
   (reference + retrieved notes) does;
3. every labelled answer (evals/data/labelled_answers.jsonl + labelled_holdout.jsonl, all labels)
   with the grader's sources: a mix-up conflict here would change the calibrated grades;
4. optionally real answers (JSONL lines {"q", "text", "sources": [{"n", "text"}]}): printed.

    TUTOR_DATA_DIR=<ingested dir> .venv/bin/python scripts/crosscheck_scan.py [answers.jsonl]
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tutor.crosscheck import mixups, names, rivals  # noqa: E402
from tutor.grading.grader import deterministic_conflicts, mixup_conflicts  # noqa: E402
from tutor.grading.sources import resolve_sources  # noqa: E402
from tutor.services import Services  # noqa: E402
from tutor.settings import Settings  # noqa: E402

LABELLED = REPO / "evals" / "data" / "labelled_answers.jsonl"
HOLDOUT = REPO / "evals" / "data" / "labelled_holdout.jsonl"


def correct_texts(bank: object) -> list[tuple[str, str]]:
    out = []
    for it in bank.items:  # type: ignore[attr-defined]
        if rivals(it.question):
            out += [(it.question, t) for t in (it.reference_answer, it.strong_answer) if t and t.strip()]
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("label") == "strong" and rivals(row.get("question", "")):
            out.append((row["question"], row["answer"]))
    return out


def swap(text: str, a: str, b: str) -> str:
    pattern = rf"(?<![A-Za-z0-9])({re.escape(a)}|{re.escape(b)})(?![A-Za-z0-9])"
    return re.sub(pattern, lambda m: b if m.group(0).lower() == a.lower() else a, text, flags=re.IGNORECASE)


def grader_catches(services: Services, question: str, answer: str) -> tuple[bool, bool]:
    """(other conflict checks fire, mix-up check fires) for ``answer`` graded against ``question``."""
    src = resolve_sources(question, None, services.bank, services.retriever, None)
    other = [c for c in deterministic_conflicts(answer, question, src) if c.kind != "mixup"]
    return bool(other), bool(mixup_conflicts(answer, question, src))


def main() -> None:
    with Services(Settings()) as services:
        texts = correct_texts(services.bank)
        false_alarms = swapped = caught = 0
        graded = {"other": 0, "mixup": 0, "either": 0}
        for question, text in texts:
            sources = [(i + 1, h.chunk.text) for i, h in enumerate(services.retriever.search(question, k=5))]
            found = mixups(text, question, sources)
            false_alarms += bool(found)
            for m in found:
                print(f"FALSE ALARM  {question}: {m.model_dump()}")
            a, b = rivals(question)[:2]
            if names(text, a) and names(text, b):
                swapped += 1
                hit = mixups(swap(text, a, b), question, sources)
                caught += bool(hit)
                other, mix = grader_catches(services, question, swap(text, a, b))
                graded["other"] += other
                graded["mixup"] += mix
                graded["either"] += other or mix
                print(f"swapped {'caught' if hit else 'missed'}  {question}: {[(m.term, m.said_of, m.notes_tie_to) for m in hit]}")
        print(f"correct texts: {len(texts)}, flagged {false_alarms}; swapped texts: {swapped}, flagged {caught}")
        print(f"swapped texts graded as answers: other conflict checks {graded['other']}, mix-up check "
              f"{graded['mixup']}, either {graded['either']} of {swapped}")
        rows = [json.loads(line) for f in (LABELLED, HOLDOUT) for line in f.read_text(encoding="utf-8").splitlines()]
        fired = [r["id"] for r in rows if grader_catches(services, r["question"], r["answer"])[1]]
        print(f"labelled answers: {len(rows)}, mix-up conflicts {len(fired)} {fired}")
    if len(sys.argv) > 1:
        for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found = mixups(row["text"], row["q"], [(s["n"], s["text"]) for s in row["sources"]])
            print(f"answer  {row['q']}: {[m.model_dump() for m in found]}")


if __name__ == "__main__":
    main()
