"""Bank matching on held-out phrasings: does a typed question reach its bank item, and does a
question the bank does not hold reach none?

Data: ``evals/data/grading/paraphrases.jsonl`` (written from the notes by someone who never saw the
code: 110 paraphrases RU/EN, 25 off-bank questions, 15 of them near-misses), split by bank item
(``evals/data/split.json``). ``tune`` sets ``tutor.retrieval.thresholds.RetrievalThresholds.match_min``; ``test`` is read
once per design change.

    python -m evals.bank_match           # the tune sweep and the tune figures at match_min
    python -m evals.bank_match --test    # ... and the test figures (once per design change)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from tutor.retrieval.bank_index import QuestionIndex
from tutor.retrieval.thresholds import RETRIEVAL

DATA = Path(__file__).parent / "data" / "grading" / "paraphrases.jsonl"


class Phrasing(BaseModel):
    id: str
    text: str
    bank_id: str | None
    kind: str
    lang: str
    split: str


def load(path: Path = DATA) -> list[Phrasing]:
    return [Phrasing.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def outcomes(index: QuestionIndex, rows: list[Phrasing], encode: object) -> list[tuple[Phrasing, str, float]]:
    """(row, best bank id, best cosine) per row."""
    out = []
    for r in rows:
        top = index.nearest(encode(r.text), 1)  # type: ignore[operator]
        out.append((r, top[0].item.id if top else "", top[0].score if top else 0.0))
    return out


def figures(scored: list[tuple[Phrasing, str, float]], threshold: float) -> dict[str, float]:
    """right: paraphrase matched to its own item; wrong: matched to another; none_ok: off-bank
    question matched to nothing."""
    para = [(r, b, s) for r, b, s in scored if r.bank_id]
    off = [(r, b, s) for r, b, s in scored if not r.bank_id]
    right = sum(b == r.bank_id and s >= threshold for r, b, s in para)
    wrong = sum(b != r.bank_id and s >= threshold for r, b, s in para)
    none_ok = sum(s < threshold for _, _, s in off)
    return {"paraphrase_right": right / max(1, len(para)), "paraphrase_wrong_item": wrong / max(1, len(para)),
            "offbank_no_match": none_ok / max(1, len(off)), "n_paraphrase": len(para), "n_offbank": len(off)}


def main() -> None:
    from tutor.services import Services

    rows = load()
    with Services() as services:
        bank = services.bank
        emb = services.embedder
        index = QuestionIndex.build(bank.items, emb.embed_query)
        scored = outcomes(index, rows, emb.embed_query)
    splits = ("tune", "test") if "--test" in sys.argv else ("tune",)
    by_split = {s: [x for x in scored if x[0].split == s] for s in splits}
    print("tune sweep (threshold: paraphrase right / wrong item / off-bank no match):")
    for t in [0.50 + 0.02 * i for i in range(16)]:
        f = figures(by_split["tune"], t)
        print(f"  {t:.2f}  {f['paraphrase_right']:.3f}  {f['paraphrase_wrong_item']:.3f}  {f['offbank_no_match']:.3f}")
    for split, part in by_split.items():
        print(split, json.dumps(figures(part, RETRIEVAL.match_min)))
    if "-v" in sys.argv:
        for r, b, s in scored:
            if r.split not in splits:
                continue
            ok = (b == r.bank_id and s >= RETRIEVAL.match_min) if r.bank_id else s < RETRIEVAL.match_min
            if not ok:
                print(f"  MISS {r.split} {r.kind} {s:.3f} {r.text!r} -> {b} (want {r.bank_id})")


if __name__ == "__main__":
    main()
