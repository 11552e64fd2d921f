"""A/B of the answer settings on the real default model, paired in one process.

Every question is asked under both configurations at once (the embedded engine serves two
sequences, so each pair shares the same CPU conditions):

- ``--arms settings`` (default): ``old`` = no repetition penalty, every relevant source (the answer
  path before session 8); ``new`` = the defaults (``llm_repetition_penalty``, ``source_floor`` /
  ``source_gap``); both with today's citation checker;
- ``--arms bridge``: both the defaults; ``old`` = the citation checker without the cross-lingual
  term bridge (before session 9). At temperature 0 the two arms mostly get the same model text, so
  the difference is the checker's.

Questions: the ten of ``tests/test_answer_real.py`` (judged by its strict check, and by the same
check as it was before session 9: fact spellings matched one by one, same-script terms) and ten more
in-scope ones (judged by shape: a valid citation, the question's language, <= 12 claims, no echoed
data delimiter). Prints one line per answer and a summary per configuration.

    HF_HUB_OFFLINE=1 TUTOR_DATA_DIR=/tmp/evals-data .venv/bin/python scripts/answer_probe.py \
        [--out answers.jsonl] [--only ten|more] [--arms settings|bridge]

The data dir is ingested from corpus/ first if it is not (a no-op when it is).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.pipeline import ingest_paths  # noqa: E402
from tests.test_answer_real import CASES, MORE_IN_SCOPE, LockedSearcher, answer_problems  # noqa: E402
from tutor.answering import Tutor  # noqa: E402
from tutor.attribution import Attributor, Thresholds  # noqa: E402
from tutor.language import detect_lang  # noqa: E402
from tutor.llm import LLMClient  # noqa: E402
from tutor.services import Services  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.types import Answer  # noqa: E402

MORE = [q for q in MORE_IN_SCOPE if len(q.split()) > 2][:10]
MAX_CLAIMS = 12


def shape_problems(question: str, ans: Answer) -> list[str]:
    """Checks any in-scope answer should pass, whatever the topic."""
    out = []
    if not ans.covered or not [c for c in ans.citations if c.origin != "quoted"]:
        out.append("no valid citation")
    if detect_lang(ans.text) != detect_lang(question):
        out.append("wrong language")
    if (ans.citation_check or {}).get("claims", 0) > MAX_CLAIMS:
        out.append(f"{ans.citation_check['claims']} claims")
    if "<<<" in ans.text:
        out.append("echoed delimiter")
    return out


def ask(tutor: Tutor, question: str) -> tuple[Answer, int]:
    """(answer, number of sources shown to the model)."""
    shown = 0
    for ev in tutor.stream(question):
        if ev.kind == "sources":
            shown = len(ev.sources)
        if ev.kind == "done" and ev.answer is not None:
            return ev.answer, shown
    raise RuntimeError("no answer")


def tutors(svc: Services, arms: str) -> tuple[dict[str, Tutor], list[LLMClient]]:
    """The two configurations over one engine and one retriever (serialised)."""
    new_checker = svc.attributor
    old_checker = new_checker if arms == "settings" else Attributor(svc.embedder, Thresholds(bridge=1.01))
    old = svc.settings if arms == "bridge" else svc.settings.model_copy(
        update={"llm_repetition_penalty": 1.0, "source_floor": 0.0, "source_gap": 2.0})
    searcher = LockedSearcher(svc.retriever)
    out, clients = {}, []
    for name, settings, checker in (("old", old, old_checker), ("new", svc.settings, new_checker)):
        clients.append(LLMClient.from_settings(settings, base_url=svc.llm_base_url))
        out[name] = Tutor(searcher, clients[-1], settings, attributor=checker)
    return out, clients


def same_spelling(case: tuple[Any, ...]) -> tuple[Any, ...]:
    """The ten-question check as it was before session 9: every spelling of a fact on its own (the
    sentence and the chunk must hold the same string), terms shared within one script only."""
    question, lang, topic, facts = case
    return question, lang, topic, [(f,) for group in facts for f in group]


def summary(rows: list[dict[str, Any]]) -> str:
    ten = [r for r in rows if r["set"] == "ten"]
    more = [r for r in rows if r["set"] == "more"]
    med = lambda key: statistics.median(r[key] for r in rows)  # noqa: E731
    return (f"ten strict {sum(not r['problems'] for r in ten)}/{len(ten)} "
            f"(same-spelling check {sum(not r['legacy'] for r in ten)}/{len(ten)}), "
            f"more shape {sum(not r['problems'] for r in more)}/{len(more)}, "
            f"looped {sum(r['looped'] for r in rows)}/{len(rows)}, "
            f"sources shown mean {statistics.mean(r['sources'] for r in rows):.1f}, "
            f"claims median {med('claims')}, chars median {med('chars')}, "
            f"ttft p50 {med('ttft_s'):.1f} s, total p50 {med('total_s'):.1f} s, "
            f"total sum {sum(r['total_s'] for r in rows):.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--only", choices=["ten", "more"])
    ap.add_argument("--arms", choices=["settings", "bridge"], default="settings",
                    help="settings: old = no penalty, all sources (both with today's checker); "
                         "bridge: the defaults, old = citation checker without the cross-lingual bridge")
    args = ap.parse_args()
    questions = ([("ten", c) for c in CASES] if args.only != "more" else []) + \
        ([("more", (q,)) for q in MORE] if args.only != "ten" else [])
    with Services(Settings()) as svc:
        ingest_paths(svc, [REPO / "corpus"])
        pool_tutors, clients = tutors(svc, args.arms)
        words = pool_tutors["new"].attributor.words  # the checker's word cache
        jobs = [(s, case, name) for s, case in questions for name in ("old", "new")]

        def run(job: tuple[str, tuple[Any, ...], str]) -> dict[str, Any]:
            kind, case, name = job
            ans, shown = ask(pool_tutors[name], case[0])
            problems = answer_problems(case, ans, words) if kind == "ten" else shape_problems(case[0], ans)  # type: ignore[arg-type]
            legacy = answer_problems(same_spelling(case), ans, None) if kind == "ten" else problems  # type: ignore[arg-type]
            return {"config": name, "set": kind, "question": case[0], "problems": problems, "legacy": legacy,
                    "looped": ans.looped, "sources": shown, "claims": (ans.citation_check or {}).get("claims", 0),
                    "chars": len(ans.text), "ttft_s": ans.timings.get("ttft_s", 0.0),
                    "total_s": ans.timings.get("total_s", 0.0), "answer": ans.model_dump(mode="json")}

        with ThreadPoolExecutor(max_workers=2) as pool:
            rows = []
            for row in pool.map(run, jobs):
                rows.append(row)
                print(f"{row['config']} {'PASS' if not row['problems'] else 'FAIL'} {row['question'][:60]!r} "
                      f"sources={row['sources']} claims={row['claims']} looped={row['looped']} "
                      f"ttft={row['ttft_s']:.1f}s total={row['total_s']:.1f}s {[p[:80] for p in row['problems']]}",
                      flush=True)
        for client in clients:
            client.close()
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for name in ("old", "new"):
        print(f"{name}: {summary([r for r in rows if r['config'] == name])}")


if __name__ == "__main__":
    main()
