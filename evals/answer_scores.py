"""Per question of the answers protocol: the closest bank item and its phrasing cosine, whether the
top retrieved source is that item's chunk (agreement), the best source's dense cosine, and the
terms no note mentions. What agree_min, extract_min (tutor/answering/thresholds.py) and the unknown-term rule in tutor/answering/answer.py
were read from (tune split only).

    HF_HUB_OFFLINE=1 .venv/bin/python -m evals.answer_scores tune
"""

from __future__ import annotations

import sys

from evals.run_answer_set import load
from tutor.answering.answer import focused_hits, relevant_hits
from tutor.services import Services


def main(split: str) -> None:
    rows = [r for r in load() if r.split == split]
    with Services() as s:
        tutor = s.tutor()
        st = s.settings
        for r in rows:
            hits = s.retriever.search(r.question, k=st.top_k)
            best = max((h.dense_score or 0.0) for h in hits) if hits else 0.0
            m = s.match_bank(r.question)
            t = tutor.thresholds
            rel = focused_hits(relevant_hits(hits, t.min_relevance), t.source_floor, t.source_gap)
            agree = bool(rel) and m is not None and (rel[0].chunk.question_id == m.item.id
                                                     or rel[0].chunk.chunk_id in m.item.source_chunk_ids)
            want = "--" if not r.bank_id else ("OK" if m is not None and m.item.id == r.bank_id else "BAD")
            print(f"{r.id} {r.kind[:10]:10s} {'conv' if r.conversation else '    '} {want:3s} "
                  f"bank {m.score if m else 0:.3f} {'agree' if agree else '     '} best {best:.3f} "
                  f"unknown {tutor.unknown_terms(r.question)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tune")
