"""Calibrate ``source_floor`` / ``source_gap`` (which retrieved hits after the first the answering
model sees): over the 72 paraphrases (a hit is relevant if it holds the item's fact) and the
question bank (relevant = one of the item's source chunks), count the labelled-relevant and the
other hits of the top 5 (hybrid) that each (floor, gap) would drop. The first hit is never dropped.

    HF_HUB_OFFLINE=1 TUTOR_DATA_DIR=/tmp/evals-data .venv/bin/python -m evals.source_focus

Needs an ingested data dir (``tutor ingest``); nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from evals.golden import load_paraphrases
from evals.metrics.retrieval import fact_relevance, id_relevance
from tutor.core.settings import Settings
from tutor.core.types import Hit
from tutor.services import Services

FLOORS = (0.30, 0.35, 0.38, 0.40, 0.45)
GAPS = (0.15, 0.20, 0.25, 0.30, None)


def secondary_hits(svc: Services) -> tuple[list[tuple[float, float, int]], int]:
    """(dense, best dense of its query, relevant) for every hit ranked 2-5, and the number of queries."""
    rows: list[tuple[float, float, int]] = []

    def add(query: str, relevance: Callable[[list[Hit]], list[int]]) -> None:
        hits = svc.retriever.search(query, k=5, mode="hybrid")
        best = max(h.dense_score or 0.0 for h in hits)
        rows.extend((h.dense_score or 0.0, best, r) for h, r in list(zip(hits, relevance(hits), strict=True))[1:])

    paraphrases, bank = load_paraphrases(), svc.bank.items
    def by_fact(fact: str) -> Callable[[list[Hit]], list[int]]:
        return lambda hits: fact_relevance([h.chunk.text for h in hits], fact)

    def by_ids(ids: list[str]) -> Callable[[list[Hit]], list[int]]:
        return lambda hits: id_relevance([h.chunk.chunk_id for h in hits], ids)

    for p in paraphrases:
        add(p.q, by_fact(p.fact))
    for it in bank:
        add(it.question, by_ids(it.source_chunk_ids))
    return rows, len(paraphrases) + len(bank)


def main() -> None:
    with Services(Settings()) as svc:
        rows, n = secondary_hits(svc)
    relevant = sum(r for _, _, r in rows)
    print(f"{n} queries, {len(rows)} hits ranked 2-5, {relevant} of them labelled relevant")
    print("floor  gap   relevant dropped  others dropped")
    for floor in FLOORS:
        for gap in GAPS:
            def dropped(d: float, best: float) -> bool:
                return d < floor or (gap is not None and best - d > gap)  # noqa: B023
            rel = sum(r and dropped(d, b) for d, b, r in rows)
            other = sum((not r) and dropped(d, b) for d, b, r in rows)
            print(f"{floor:.2f}  {gap if gap is not None else '-':>4}  {rel:>3}/{relevant:<3}          "
                  f"{other:>4}/{len(rows) - relevant}")


if __name__ == "__main__":
    main()
