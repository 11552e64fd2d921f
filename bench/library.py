"""The seed notes inside a large library (issue 22): retrieval quality on the held-out paraphrases,
bank matching, answer and grade latency and the app's memory, with real embeddings throughout.

1. The seed corpus is ingested into a fresh data dir the way `tutor ingest` does it (default
   embedder, bank, question index); the 72 held-out paraphrases are searched (hybrid, the app's
   mode; relevant = the hit holds the fact): hit@5 and MRR@5 of the seed alone.
2. N distinct synthetic chunks (``evals.library``: the corpus's sentences in every layout, so many
   are near-duplicates of the seed; a hit on one that holds the fact counts) are embedded for real
   and written to the same collection; the paraphrases are searched again.
3. A child process opens the app's services on that library (as `tutor ui` does: LLM engine,
   embedder, query encoder, store, bank index) and measures a bank match, a hybrid search, one
   answer and one grade, then reports its peak RSS plus the LLM engine's.

Distractor vectors are cached in ~/.cache/interview-tutor/bench-library/ (they cost most of the
run). ``--encoder int8`` embeds the distractors with the int8 ONNX graph and the document prompt
(2x faster, mean cosine 0.996 with fp32: docs/ingest.md) instead of the default bf16 model.

    .venv/bin/python bench/library.py --distractors 20000 --encoder int8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

CACHE = Path.home() / ".cache" / "interview-tutor" / "bench-library"
QUESTION = "Как GQA уменьшает KV-cache?"
ANSWER = ("GQA делит одну пару K/V-голов между группой query-голов, поэтому KV-cache меньше "
          "в n_heads / n_kv_heads раз, а качество почти как у MHA.")


def quality(services: object, ranks: dict[str, list[int]] | None = None) -> dict[str, float]:
    """Hit@5, MRR@5 and search p50 of the held-out paraphrases; ``ranks`` gets each one's relevance list."""
    from evals.golden import load_paraphrases
    from evals.run_retrieval import run_retrieval

    res = run_retrieval(services.retriever, load_paraphrases(), [], k=5, modes=("hybrid",))  # type: ignore[attr-defined]
    if ranks is not None:
        ranks.update({r["id"]: r["rels"] for r in res.rows})
    m = {k: float(v or 0.0) for k, v in res.metrics.items()}
    return {"hit@5": m["retrieval.paraphrase.hybrid.hit@5"], "mrr@5": m["retrieval.paraphrase.hybrid.mrr@5"],
            "search_mean_ms": 1000 * m["retrieval.paraphrase.hybrid.latency_s"]}


def distractor_vectors(chunks: list, encoder: str, services: object) -> np.ndarray:
    """Dense vectors of ``chunks`` (cached by chunk id and encoder)."""
    from tutor.models.embedder import torch_threads
    from tutor.models.onnx_query import OnnxQueryEncoder
    from tutor.models.provision import query_encoder_path

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{encoder}.npz"
    cached: dict[str, np.ndarray] = {}
    if path.exists():
        z = np.load(path)
        cached = dict(zip(z["ids"].tolist(), z["vecs"], strict=True))
    todo = [c for c in chunks if c.chunk_id not in cached]
    if todo:
        print(f"embedding {len(todo)} distractor chunks ({encoder}) ...", flush=True)
        t = time.perf_counter()
        emb = services.embedder  # type: ignore[attr-defined]
        if encoder == "int8":
            folder = query_encoder_path(services.settings)  # type: ignore[attr-defined]
            if folder is None:
                raise SystemExit("no int8 encoder: run `tutor models fetch` first")
            enc = OnnxQueryEncoder.open(folder, threads=2)
            enc.prompt = emb._model.prompts["document"]  # same graph, the document prompt

            def encode(texts: list[str]) -> list[np.ndarray]:
                return [np.asarray(enc.encode(x), dtype=np.float32) for x in texts]
        else:
            def encode(texts: list[str]) -> list[np.ndarray]:
                return [np.asarray(v, dtype=np.float32) for v in emb.embed_documents(texts)]
        with torch_threads(2):
            for i in range(0, len(todo), 256):
                batch = todo[i:i + 256]
                cached.update(zip((c.chunk_id for c in batch), encode([c.text for c in batch]), strict=True))
                done = i + len(batch)
                if done % 2048 == 0 or done == len(todo):  # a killed run keeps what it embedded
                    np.savez(path, ids=np.array(list(cached)), vecs=np.stack(list(cached.values())))
                rate = done / (time.perf_counter() - t)
                print(f"  {done}/{len(todo)}  {rate:.1f} chunks/s  ~{(len(todo) - done) / rate / 60:.0f} min left",
                      flush=True)
    return np.stack([cached[c.chunk_id] for c in chunks])


def show_losses(services: object, before: dict[str, list[int]], after: dict[str, list[int]]) -> None:
    """For each paraphrase whose first relevant hit moved down: the query, its fact and the top hits."""
    from evals.golden import load_paraphrases

    def first(rels: list[int]) -> int:
        return next((i for i, r in enumerate(rels) if r), 99)

    for p in load_paraphrases():
        if first(after[p.id]) <= first(before[p.id]):
            continue
        print(f"\n{p.id}: {p.q!r}  fact {p.fact!r}  rank {first(before[p.id]) + 1} -> {first(after[p.id]) + 1}")
        for h in services.retriever.search(p.q, k=3):  # type: ignore[attr-defined]
            print(f"   {h.chunk.doc[:28]:<28} {' '.join(h.chunk.text.split())[:150]}")


def app_child(data_dir: str) -> None:
    """Runs in a child process: the app's services on ``data_dir``; prints one JSON line."""
    from tutor.core.settings import Settings
    from tutor.services import Services

    out: dict[str, float] = {}
    with Services(Settings(data_dir=Path(data_dir))) as services:
        t = time.perf_counter()
        services.warm()
        out["warm_s"] = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(20):
            services.match_bank(QUESTION)
        out["bank_match_ms"] = (time.perf_counter() - t) / 20 * 1000
        t = time.perf_counter()
        for _ in range(20):
            services.retriever.search(QUESTION, k=5)
        out["search_ms"] = (time.perf_counter() - t) / 20 * 1000
        tutor = services.tutor()
        t = time.perf_counter()
        first = None
        for ev in tutor.stream(QUESTION, style="explain"):  # the heavier path: notes + the model's explanation
            if first is None and ev.kind in ("notes", "delta"):
                first = time.perf_counter() - t
        out["answer_s"] = time.perf_counter() - t
        out["answer_first_s"] = first if first is not None else float("nan")
        t = time.perf_counter()
        grade = services.grader().grade(QUESTION, ANSWER)
        out["grade_s"] = time.perf_counter() - t
        out["grade_score"] = grade.score
        out["rss_app_mb"] = _mem(os.getpid(), "VmRSS")
        out["rss_engine_mb"] = sum(_mem(p, "VmRSS") for p in _children(os.getpid()))
        out["peak_app_mb"] = _mem(os.getpid(), "VmHWM")
        out["peak_engine_mb"] = sum(_mem(p, "VmHWM") for p in _children(os.getpid()))
    print("RESULT " + json.dumps(out), flush=True)


def _mem(pid: int, field: str) -> float:
    """Resident memory of ``pid`` in MB: now (VmRSS) or at its peak (VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
        for k in kids:
            out += [k, *_children(k)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distractors", type=int, default=20000)
    ap.add_argument("--encoder", choices=("int8", "default"), default="int8")
    ap.add_argument("--keep", type=Path, help="build the library in this folder and keep it")
    ap.add_argument("--show", action="store_true", help="print what outranks the seed where a paraphrase lost rank")
    ap.add_argument("--no-app", action="store_true", help="skip the app measurements")
    ap.add_argument("--app-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.app_child:
        app_child(args.app_child)
        return

    from evals.library import library_chunks
    from ingest.pipeline import ingest_paths
    from tutor.core.settings import Settings
    from tutor.retrieval.sparse import SparseEncoder
    from tutor.services import Services

    work = args.keep or Path(tempfile.mkdtemp(prefix="tutor-library-"))
    settings = Settings(data_dir=work / "data")
    with Services(settings) as services:
        t = time.perf_counter()
        ingest_paths(services, [REPO / "corpus"])
        print(f"seed ingested in {time.perf_counter() - t:.0f} s: {services.store.count()} chunks")
        before: dict[str, list[int]] = {}
        base = quality(services, before)
        print("seed alone:     " + "  ".join(f"{k} {v:.3f}" for k, v in base.items()), flush=True)
        seed_ids = {i for _, ids in services.store.manifest().values() for i in ids}
        pool = [c for c in library_chunks(args.distractors + len(seed_ids), work / "lib") if c.chunk_id not in seed_ids]
        pool = pool[:args.distractors]
        vecs = distractor_vectors(pool, args.encoder, services)
        sparse = SparseEncoder()
        store = services.store
        collection = store.target()
        t = time.perf_counter()
        for i in range(0, len(pool), 256):
            part = pool[i:i + 256]
            store.upsert(part, vecs[i:i + 256].tolist(), [sparse.encode_document(c.text) for c in part], doc_sha={},
                         collection=collection)
        print(f"{len(pool)} distractors written in {time.perf_counter() - t:.0f} s: {store.count()} chunks", flush=True)
        after: dict[str, list[int]] = {}
        mixed = quality(services, after)
        print("seed + library: " + "  ".join(f"{k} {v:.3f}" for k, v in mixed.items()), flush=True)
        print(f"MRR@5 change: {mixed['mrr@5'] - base['mrr@5']:+.3f}  hit@5 change: {mixed['hit@5'] - base['hit@5']:+.3f}")
        if args.show:
            show_losses(services, before, after)
    if args.no_app:
        return
    child = subprocess.run([sys.executable, __file__, "--app-child", str(settings.data_dir)],
                           capture_output=True, text=True, check=False)
    line = next((x for x in child.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        print(child.stdout[-2000:], child.stderr[-3000:])
        raise SystemExit("the app child failed")
    app = json.loads(line[7:])
    print("app on the library: " + "  ".join(f"{k} {v:.1f}" for k, v in app.items()))
    print(f"app RSS (app + LLM engine): now {app['rss_app_mb'] + app['rss_engine_mb']:.0f} MB, "
          f"peak {app['peak_app_mb'] + app['peak_engine_mb']:.0f} MB")


if __name__ == "__main__":
    main()
