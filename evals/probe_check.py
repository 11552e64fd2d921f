"""The judge's self-check of the reviewed probes: a probe earns its place only if the judge, reading
the notes' own sentence for that key point (its ``support``), picks the right option. Notes only, no
candidate answer is read, so the check may run over every item, protocol test items included.

    .venv/bin/python -m evals.probe_check read OUT.jsonl [ITEM_ID ...]   # judge each probe over its support
    .venv/bin/python -m evals.probe_check apply FIXES.jsonl              # rewrite failed probes in rubrics.jsonl

``read`` writes one line per probe: {"id", "i", "support", "probe", "reading": [P(right), P(wrong), P(not said)],
"verdict"}
with the grader's own verdict rule (tutor.grading.judge.Reading.verdict, thresholds unchanged) and
prints how many fail. ``apply`` takes rewritten points {"item", "point_index", "support", "probe"}
(written from the notes by a helper that saw neither code nor candidate answers), checks each support
is verbatim in the item's notes, and rewrites tutor/grading/rubrics.jsonl; {"item", "point_index",
"unprobed": true} keeps a point whose rewrite failed too, without a probe (the grader then covers it
by cosine and never contradicts it). Kept unprobed rather than dropped or left with the failing
probe: on tune (reports/20261208-011618, its 2 affected questions re-graded) pair order / strong >= 7
were 0.956 / 92% unprobed, 0.952 / 88% dropped (fewer points make one miss cost more), 0.956 / 88%
with the failing probe. Needs `tutor ingest` (reads the bank) and, for ``read``, the LLM.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tutor.core.types import KeyPoint, Probe
from tutor.grading.judge import read_probe
from tutor.grading.rubric import REVIEWED_RUBRICS, ReviewedRubric, load_reviewed, supported
from tutor.grading.thresholds import GRADING
from tutor.services import Services


def _rubrics() -> list[ReviewedRubric]:
    return list(load_reviewed(REVIEWED_RUBRICS).values())


def read(out: str, only: set[str]) -> None:
    failed = total = 0
    with Services() as services, Path(out).open("w", encoding="utf-8") as f:
        for rubric in _rubrics():
            if only and rubric.id not in only:
                continue
            for i, point in enumerate(rubric.key_points):
                if point.probe is None:
                    continue
                r = read_probe(services.llm, point.support, point.probe, GRADING)
                verdict = r.verdict(GRADING)
                total += 1
                failed += verdict != "supports"
                f.write(json.dumps({"id": rubric.id, "i": i, "support": point.support, "probe": point.probe.model_dump(),
                                    "reading": [round(r.right, 4), round(r.wrong, 4), round(r.none, 4)],
                                    "verdict": verdict}, ensure_ascii=False) + "\n")
                f.flush()
    print(f"{total} probes read over their own support; {failed} not read as right ({failed / max(total, 1):.1%})")


def apply(fixes_path: str) -> None:
    fixes = [json.loads(line) for line in Path(fixes_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_item: dict[str, dict[int, dict]] = {}
    for fix in fixes:
        by_item.setdefault(fix["item"], {})[int(fix["point_index"])] = fix
    with Services() as services:
        bank = {item.id: item for item in services.bank.items}
    out, changed, unprobed = [], 0, 0
    for rubric in _rubrics():
        points: list[KeyPoint] = []
        for i, point in enumerate(rubric.key_points):
            fix = by_item.get(rubric.id, {}).get(i)
            if fix is None:
                points.append(point)
            elif fix.get("unprobed"):
                points.append(point.model_copy(update={"probe": None}))
                unprobed += 1
            else:
                new = point.model_copy(update={"support": fix["support"], "probe": Probe(**fix["probe"])})
                if not supported(new, bank[rubric.id]):
                    raise SystemExit(f"{rubric.id} #{i}: support is not verbatim in the notes: {fix['support']!r}")
                points.append(new)
                changed += 1
        out.append(rubric.model_copy(update={"key_points": points}))
    REVIEWED_RUBRICS.write_text("".join(x.model_dump_json(exclude_defaults=False) + "\n" for x in out),
                                encoding="utf-8")
    print(f"{changed} probes rewritten, {unprobed} points left without a probe in {REVIEWED_RUBRICS}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["read"]:
        read(sys.argv[2], set(sys.argv[3:]))
    elif sys.argv[1:2] == ["apply"]:
        apply(sys.argv[2])
    else:
        raise SystemExit(__doc__)
