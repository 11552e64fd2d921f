"""How close each labelled answer's units come to the instructions-to-the-grader of
``tutor.grading.injection`` (no LLM): the tune split sets ``INSTRUCTION_MIN``, the test split is
read once per design change.

    python -m evals.injection tune     # per label: how many answers reach the threshold, the closest units
    python -m evals.injection test reports/<id>/report.json   # ... and that run's figures with the rule:
                                       # a flagged answer scores 0 with no model call, as in the grader
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from evals.run_grading import figures, load
from tutor.grading.evidence import answer_units
from tutor.grading.injection import INSTRUCTION_MIN, INSTRUCTIONS


def main(split: str, report: Path | None = None) -> None:
    from tutor.services import Services

    rows = [r for r in load() if r.split == split and r.answer.strip()]
    best: dict[str, list[tuple[float, str]]] = defaultdict(list)
    flagged_ids: set[str] = set()
    with Services() as services:
        emb = services.embedder
        protos = np.asarray(emb.embed_documents(list(INSTRUCTIONS)), dtype=np.float32)
        for r in rows:
            units = answer_units(r.answer)
            sims = np.asarray(emb.embed_documents(units), dtype=np.float32) @ protos.T
            i = int(sims.max(axis=1).argmax())
            best[r.label].append((float(sims.max()), units[i]))
            if sims.max() >= INSTRUCTION_MIN:
                flagged_ids.add(r.id)
    print(f"{split}: answers with a unit >= {INSTRUCTION_MIN} (flagged) per label; the three closest units")
    for label, scores in sorted(best.items()):
        scores.sort(reverse=True)
        flagged = sum(s >= INSTRUCTION_MIN for s, _ in scores)
        print(f"  {label:<10} {flagged:>3} of {len(scores):<3} max {scores[0][0]:.3f}  min {scores[-1][0]:.3f}")
        for s, u in scores[:3]:
            print(f"      {s:.3f}  {u[:100]}")
    if report is not None:
        stored = [r for r in json.loads(report.read_text(encoding="utf-8"))["suites"][0]["rows"] if r.get("split") == split]
        ruled = [{**r, "score": 0.0, "flags": [*r.get("flags", []), "instruction"]} if r["id"] in flagged_ids else r
                 for r in stored]
        for name, part in (("stored", stored), ("with the rule", ruled)):
            f = figures(part)
            print(f"{name:<14}", "  ".join(f"{k} {v:.3f}" for k, v in f.items() if v is not None and not k.startswith("rule.")))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tune", Path(sys.argv[2]) if len(sys.argv) > 2 else None)

