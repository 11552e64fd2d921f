"""Assemble tutor/grading/rubrics.jsonl, the shipped corpus's reviewed rubrics, from review files:

    .venv/bin/python evals/rubric_review.py RUBRICS.jsonl PROBES.jsonl ALTERNATES.jsonl

RUBRICS: {"id", "key_points": [{"text", "support"}], "red_flags"}; PROBES: {"id", "probes":
[{"question", "right", "wrong"}]} one per key point; ALTERNATES: {"id", "alternates": [...]}.
Each entry is stamped with the hash of the bank item's current question + reference (an edited note
falls back to the structure rubric) and checked: every key point's support must be verbatim in the
notes (tutor.grading.rubric.supported). Needs `tutor ingest` (reads the bank).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tutor.core.types import KeyPoint, Probe
from tutor.grading.rubric import REVIEWED_RUBRICS, ReviewedRubric, ref_hash, supported
from tutor.services import Services


def _rows(path: str) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, Path(path).read_text(encoding="utf-8").splitlines()) if r}


def main(rubrics: str, probes: str, alternates: str) -> None:
    rub, prb, alt = _rows(rubrics), _rows(probes), _rows(alternates)
    with Services() as services:
        bank = services.bank
    out, dropped = [], 0
    for item in bank.items:
        r = rub.get(item.id)
        if r is None:
            continue
        ps = prb.get(item.id, {}).get("probes", [])
        points = []
        for n, kp in enumerate(r["key_points"]):
            probe = Probe(**ps[n]) if n < len(ps) else None
            point = KeyPoint(text=kp["text"], support=kp["support"], origin="reviewed", probe=probe)
            if supported(point, item):
                points.append(point)
            else:
                dropped += 1
        out.append(ReviewedRubric(id=item.id, ref_hash=ref_hash(item), key_points=points,
                                  red_flags=r.get("red_flags", []),
                                  alternates=alt.get(item.id, {}).get("alternates", [])))
    REVIEWED_RUBRICS.write_text("".join(x.model_dump_json(exclude_defaults=False) + "\n" for x in out),
                                encoding="utf-8")
    print(f"wrote {len(out)} reviewed rubrics to {REVIEWED_RUBRICS} ({dropped} unsupported points dropped)")


if __name__ == "__main__":
    main(*sys.argv[1:4])
