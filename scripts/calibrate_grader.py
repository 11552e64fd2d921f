"""Calibrate the grader on labelled answers + the corpus's weak/strong interview pairs.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/calibrate_grader.py [--questions 15] [--repeat 2]
        [--data-dir DIR] [--out rows.jsonl] [--no-retrieval]

Uses the default settings (embedded engine unless TUTOR_LLM_BASE_URL is set); the bank must be
built in the data dir (`tutor bank build` or `tutor ingest`). Prints per-label stats, pair
accuracy, determinism and latency, with PASS/FAIL per threshold of issue 5.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tutor.grading.calibration import Graded, ReplayLLM, dump_rows, load_labelled, run_calibration  # noqa: E402
from tutor.grading.grader import Grader  # noqa: E402
from tutor.keypoints import KeyPointCache  # noqa: E402
from tutor.services import Services  # noqa: E402
from tutor.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", default=str(REPO / "evals/data/labelled_answers.jsonl"))
    ap.add_argument("--questions", type=int, default=0, help="Only the first N questions (0 = all).")
    ap.add_argument("--labels", default="", help="Comma-separated labels to keep (default: all).")
    ap.add_argument("--ids", default="", help="Comma-separated question ids to keep (default: all).")
    ap.add_argument("--repeat", type=int, default=2, help="Extra re-grades of 3 answers (determinism).")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-pairs", action="store_true", help="Skip the corpus interview pairs.")
    ap.add_argument("--no-retrieval", action="store_true", help="Do not open the vector store (no citations).")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default="", help="Write per-row scores as JSONL here.")
    ap.add_argument("--resume", default="", help="Reuse rows graded by an interrupted run (its --out or --log).")
    ap.add_argument("--log", default="", help="Append every graded row as JSONL here as it finishes.")
    ap.add_argument("--replay", default="", help="Record temperature-0 LLM replies here and reuse them for "
                    "identical requests (re-calibrate a Python-only change; use --repeat 0 with it).")
    args = ap.parse_args()

    rows = load_labelled(args.labelled)
    if args.questions:
        keep = list(dict.fromkeys(r.question_id for r in rows))[: args.questions]
        rows = [r for r in rows if r.question_id in keep]
    if args.ids:
        rows = [r for r in rows if r.question_id in args.ids.split(",")]
    if args.labels:
        rows = [r for r in rows if r.label in args.labels.split(",")]
    rows.sort(key=lambda r: r.question_id)  # same question back to back: the server reuses the prompt prefix
    settings = Settings(**({"data_dir": Path(args.data_dir)} if args.data_dir else {}))
    with Services(settings) as services:
        llm = ReplayLLM(services.llm, args.replay) if args.replay else services.llm
        if args.no_retrieval:
            grader = Grader(llm, embedder=services.embedder, bank=services.bank,
                            keypoints=KeyPointCache(settings.sqlite_path), max_answer_chars=settings.max_answer_chars,
                            llm_follow_up=False)
        else:
            grader = Grader.from_services(services, llm_follow_up=False)
            grader.llm = llm
        done = [Graded.model_validate_json(x) for x in Path(args.resume).read_text().splitlines()
                if x.strip()] if args.resume else []

        def progress(g: Graded) -> None:
            print(f"{g.id:32} {g.label:9} {g.score:4.1f}  {g.seconds:5.1f}s {g.error[:80]}", flush=True)
            if args.log:
                with open(args.log, "a", encoding="utf-8") as fh:
                    fh.write(g.model_dump_json() + "\n")

        report = run_calibration(grader, services.bank, rows, pairs=not args.no_pairs, repeat=args.repeat,
                                 workers=args.workers, done=done, progress=progress)
    print(report.summary())
    if isinstance(llm, ReplayLLM):
        print(f"LLM replies: {llm.hits} replayed from {args.replay}, {llm.misses} asked (latency of replayed rows is not model time)")
    if args.out:
        dump_rows(report, args.out)
    return 0 if all(report.checks().values()) else 1


if __name__ == "__main__":
    sys.exit(main())
