"""Collect real answers and calibrate the citation checker (tutor/attribution.py).

    # 1. answers of the real model (embedded engine) to the ten test questions + more, without the
    #    checker; one JSON line per answer, a re-run skips questions already in the file
    TUTOR_DATA_DIR=/tmp/h2/data .venv/bin/python scripts/attribution_calibrate.py collect out.jsonl [--extra]
    # 2. dense + lexical scores of every (claim, source) pair, printed for labelling; prints the
    #    checker's CPU/wall time per answer (the added latency)
    TUTOR_DATA_DIR=/tmp/h2/data .venv/bin/python scripts/attribution_calibrate.py score out.jsonl scores.json
    # 3. precision / recall of the checker's decisions against hand labels, over a threshold grid
    .venv/bin/python scripts/attribution_calibrate.py grid scores.json labels.json

    # 4. the cross-lingual term bridge: citations it adds over collected answers, per word-cosine
    #    threshold, with the word pairs that made them (for labelling; docs/answering.md)
    TUTOR_DATA_DIR=/tmp/h2/data .venv/bin/python scripts/attribution_calibrate.py bridge out.jsonl
    # 5. sentence-level support (a claim vs the closest sentence of a long source): citations it
    #    adds per passage-cosine threshold, with the sentence behind each (for labelling)
    TUTOR_DATA_DIR=/tmp/h2/data .venv/bin/python scripts/attribution_calibrate.py passage out.jsonl

labels.json: {"<answer id>:<segment index>": [source numbers that support the claim], ...}; a claim
left out is treated as unlabelled (skipped), [] means no source supports it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.attribution import Attributor, Score, Thresholds, best_support, split_segments  # noqa: E402
from tutor.citations import check_citations  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.types import Citation  # noqa: E402

TEN = ["В чём разница между BPE и WordPiece?",
       "What is LoRA and why does it reduce the number of trainable parameters?",
       "Что такое KV cache и зачем он нужен?", "How does speculative decoding speed up inference?",
       "Чем DPO отличается от RLHF с PPO?", "What is Mixture of Experts and how does token routing work?",
       "Какие метрики RAGAS используют для оценки RAG?", "Чем GPTQ отличается от AWQ?",
       "How does GQA differ from MQA?", "Зачем нужен FlashAttention?"]
EXTRA = ["Как работает PagedAttention в vLLM?", "What is QLoRA?", "Зачем нужен reranker в RAG?",
         "Что такое prompt injection?", "What is RoPE?", "Что такое distillation?",
         "How does tensor parallelism work?", "Как обнаружить галлюцинации LLM?"]


def collect(out: Path, extra: bool) -> None:
    import threading

    from tutor.answering import Tutor
    from tutor.services import Services

    services = Services(Settings())
    lock = threading.Lock()

    class Locked:
        def search(self, query: str, **kw: Any) -> Any:
            with lock:
                return services.retriever.search(query, **kw)

    tutor = Tutor(Locked(), services.llm, services.settings)

    done = {json.loads(line)["question"] for line in out.read_text().splitlines()} if out.exists() else set()

    def one(q: str) -> dict[str, Any]:
        raw, sources, t0 = "", [], time.perf_counter()
        for ev in tutor.stream(q):
            if ev.kind == "sources":
                sources = [s.model_dump() for s in ev.sources]
            elif ev.kind == "delta":
                raw += ev.text
            elif ev.kind == "done" and ev.answer is not None:
                timings = ev.answer.timings
        print(f"{time.perf_counter() - t0:6.1f}s {q}", flush=True)
        row = {"question": q, "raw": raw, "sources": sources, "timings": timings}
        with lock, out.open("a") as f:  # one JSON line per answer: a stopped run keeps what it has
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return row

    questions = [q for q in TEN + (EXTRA if extra else []) if q not in done]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, questions))
    services.close()


def score(inp: Path, out: Path) -> None:
    from tutor.services import Services

    services = Services(Settings())
    attributor = Attributor(services.embedder)
    attributor.attribute("warm up the embedder [1].", [Citation(n=1, chunk_id="w", doc="", section="",
                                                                text="warm up")])
    rows, table = [json.loads(line) for line in inp.read_text().splitlines()], []
    for a, row in enumerate(rows):
        sources = [Citation.model_validate(s) for s in row["sources"]]
        text = check_citations(row["raw"], sources).text
        segments = split_segments(text)
        hits = services.retriever.search(row["question"], k=services.settings.top_k)  # as the Tutor does
        stored = {h.chunk.chunk_id: h.vector for h in hits if h.vector is not None}
        w0, c0 = time.perf_counter(), time.process_time()
        scores = attributor.score(segments, sources, stored, row["question"])
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(f"\n=== {a} {row['question']}  (check: wall {wall:.2f}s cpu {cpu:.2f}s, "
              f"{len(scores)} claims x {len(sources)} sources, load {os.getloadavg()[0]:.2f})")
        for s in sources:
            print(f"  [{s.n}] {s.section}: {' '.join(s.text.split())[:220]}")
        for i, seg in enumerate(segments):
            if i not in scores:
                print(f"  {a}:{i} ({seg.kind}) {seg.text[:160]!r}")
                continue
            cells = " ".join(f"[{s.n}] d{s.dense:.2f} l{s.lexical:.2f}/{s.shared}" for s in scores[i].values())
            print(f"  {a}:{i} {seg.text[:300]!r}\n        {cells}")
            table.append({"id": f"{a}:{i}", "text": seg.text, "cited": sorted(
                {int(x) for x in __import__("re").findall(r"\[(\d+)\]", seg.text)}),
                "scores": [vars(s) for s in scores[i].values()]})
        table.append({"id": f"{a}:timing", "wall_s": wall, "cpu_s": cpu, "claims": len(scores)})
    out.write_text(json.dumps(table, ensure_ascii=False, indent=1))
    services.close()


def grid(scores_path: Path, labels_path: Path) -> None:
    table = [r for r in json.loads(scores_path.read_text()) if "scores" in r]
    labels: dict[str, list[int]] = json.loads(labels_path.read_text())
    rows = [(r, set(labels[r["id"]]), [Score(**s) for s in r["scores"]]) for r in table if r["id"] in labels]
    pairs = [(s, s.n in gold) for _, gold, sc in rows for s in sc]
    print(f"{len(rows)} labelled claims, {len(pairs)} pairs, {sum(ok for _, ok in pairs)} supported")
    print("dense lex shared | added correct wrong precision | uncited-supported claims | wrong-flag ok/bad")
    for d, lx, ms in product([0.30, 0.35, 0.40, 0.45, 0.50], [0.2, 0.3, 0.4, 0.5], [1, 2, 3]):
        th = Thresholds(dense=d, lexical=lx, min_shared=ms)
        good = bad = missed = 0
        for _r, gold, sc in rows:  # every claim, as if the model had not cited it
            best = best_support(sc, th)
            if best is None:
                missed += bool(gold)
            elif best.n in gold:
                good += 1
            else:
                bad += 1
        flag_ok = sum(1 for s, ok in pairs if s.is_wrong(th) and not ok)
        flag_bad = sum(1 for s, ok in pairs if s.is_wrong(th) and ok)
        prec = good / (good + bad) if good + bad else float("nan")
        print(f"{d:.2f} {lx:.1f} {ms} | {good + bad:3d} {good:3d} {bad:3d} {prec:.2f} | {missed:3d} | "
              f"{flag_ok}/{flag_bad}")


BRIDGE_GRID = (0.60, 0.65, 0.70, 0.75, 0.80)
PASSAGE_GRID = (0.40, 0.45, 0.50, 0.55, 0.60)
Added = dict[tuple[str, str, int | None], float]  # (claim, action, new source) -> highest threshold


def _at(field: str, value: float) -> dict[str, Any]:
    """``{field: value}`` typed for ``dataclasses.replace`` of ``Thresholds``."""
    return {field: value}


def replay(services: Any, inp: Path, field: str, grid: Sequence[float]) -> Iterator[tuple[Attributor, list[Citation], Added]]:
    """Every collected answer checked with ``field`` (a ``Thresholds`` step) off and at each threshold
    of ``grid``; yields the checker with it off (its vector caches shared by all runs), the sources
    and each citation the step adds or changes, with the highest threshold that still does."""
    from dataclasses import replace

    off = Attributor(services.embedder, replace(services.attributor.thresholds, **_at(field, 1.01)))
    for a, row in enumerate(json.loads(line) for line in inp.read_text().splitlines()):
        sources = [Citation.model_validate(s) for s in row["sources"]]
        text = check_citations(row["raw"], sources).text
        base = {(c.claim, c.action, c.new) for c in off.attribute(text, sources, question=row["question"]).changes}
        print(f"\n=== {a} {row['question']}")
        found: Added = {}
        for th in sorted(grid, reverse=True):
            on = Attributor(services.embedder, replace(off.thresholds, **_at(field, th)))
            on.documents, on.words, on.sentences = off.documents, off.words, off.sentences
            t0 = time.perf_counter()
            result = on.attribute(text, sources, question=row["question"])
            print(f"  {field} {th:.2f}: {len(result.changes)} changes, {result.uncited} uncited, "
                  f"wall {time.perf_counter() - t0:.2f}s")
            for c in result.changes:
                if (c.claim, c.action, c.new) not in base:
                    found.setdefault((c.claim, c.action, c.new), th)
        yield off, sources, found


def bridge(inp: Path) -> None:
    """Citations the cross-lingual term bridge adds, with the word pairs that made them."""
    from tutor.services import Services
    from tutor.term_bridge import script, surface_words

    services = Services(Settings())
    for off, sources, found in replay(services, inp, "bridge", BRIDGE_GRID):
        for s in sources:
            print(f"  [{s.n}] {s.section}: {' '.join(s.text.split())[:160]}")
        for (claim, action, new), th in found.items():
            src = next(s for s in sources if s.n == new) if new else None
            pairs = []
            if src is not None:
                mine, theirs = surface_words(claim), surface_words(src.text)
                cw = [w for t, w in mine.items() if t not in theirs]
                sw = [w for t, w in theirs.items() if script(t) != "cyr"] + [w for t, w in theirs.items() if script(t) == "cyr"]
                if cw and sw:
                    sims = off.words(cw) @ off.words(sw).T
                    for i, w in enumerate(cw):
                        j = int(sims[i].argmax())
                        if sims[i, j] >= min(BRIDGE_GRID) and script(w) != script(sw[j]):
                            pairs.append(f"{w}~{sw[j]}:{sims[i, j]:.2f}")
            print(f"  + up to {th:.2f}: {action} [{new}] {claim[:200]!r}\n      {' '.join(pairs)}")
    services.close()


def passage(inp: Path) -> None:
    """Citations sentence-level support adds, with the source sentence closest to each claim."""
    import numpy as np

    from tutor.attribution import claim_text, passages
    from tutor.services import Services

    services = Services(Settings())
    for off, sources, found in replay(services, inp, "passage_dense", PASSAGE_GRID):
        for (claim, action, new), th in found.items():
            src = next(s for s in sources if s.n == new)
            near = list(passages(src.text))
            sims = off.sentences(near) @ np.asarray(services.embedder.embed_query(claim_text(claim)), dtype=np.float32)
            print(f"  + up to {th:.2f}: {action} [{new}] {claim[:220]!r}\n"
                  f"      [{new}] {src.section[:50]} ({len(src.text)} chars): {near[int(sims.argmax())][:220]!r}")
    services.close()


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "collect":
        collect(Path(args[0]), "--extra" in args)
    elif cmd == "score":
        score(Path(args[0]), Path(args[1]))
    elif cmd == "bridge":
        bridge(Path(args[0]))
    elif cmd == "passage":
        passage(Path(args[0]))
    else:
        grid(Path(args[0]), Path(args[1]))
