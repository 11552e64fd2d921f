"""Document-embedding options side by side (issue 22): fp32 torch, bf16 torch (the default where the
CPU has native bf16) and the int8 ONNX graph (built for queries by `tutor models fetch`) run with the
document prompt — speed on 2 cores and retrieval quality (dense only, the 72 held-out paraphrases,
queries through the default query encoder) over the corpus's 298 chunks.

    .venv/bin/python bench/doc_embedding.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from evals.golden import load_paraphrases  # noqa: E402
from evals.metrics import retrieval as rm  # noqa: E402
from ingest.parse import parse_paths  # noqa: E402
from tutor.core.settings import Settings  # noqa: E402
from tutor.models.embedder import _load, build_query_encoder, torch_threads  # noqa: E402
from tutor.models.provision import embedder_path, query_encoder_path  # noqa: E402


def quality(doc_vecs: np.ndarray, texts: list[str], queries: np.ndarray, paraphrases: list) -> tuple[float, float]:
    """(hit@5, MRR@10) of dense search with these document vectors."""
    hits, mrrs = [], []
    for q, p in zip(queries, paraphrases, strict=True):
        order = np.argsort(-(doc_vecs @ q))[:10]
        rels = rm.fact_relevance([texts[i] for i in order], p.fact)
        hits.append(rm.hit_at_k(rels, 5))
        mrrs.append(rm.mrr_at_k(rels, 10))
    return float(np.mean(hits)), float(np.mean(mrrs))


def main() -> None:
    settings = Settings()
    docs, _ = parse_paths([REPO / "corpus"])
    texts = [c.text for d in docs for c in d.chunks]
    paraphrases = load_paraphrases()
    qenc = build_query_encoder(settings)
    path = embedder_path(settings)
    fp32 = _load(path, fast=False)
    bf16 = _load(path, fast=True)
    doc_prompt = fp32.prompts["document"]
    if qenc is None:
        raise SystemExit("no int8 query encoder: run `tutor models fetch` first")
    queries = np.array([qenc.encode(p.q) for p in paraphrases], dtype=np.float32)

    def torch_encode(model: object):
        def run(batch: list[str]) -> np.ndarray:
            return model.encode(batch, prompt_name="document", batch_size=16,  # type: ignore[attr-defined]
                                normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
        return run

    from tutor.models.onnx_query import OnnxQueryEncoder

    onnx = OnnxQueryEncoder.open(query_encoder_path(settings) or Path(), threads=2)
    onnx.prompt = doc_prompt  # same graph, the document prompt instead of the query one

    def onnx_encode(batch: list[str]) -> np.ndarray:
        return np.array([onnx.encode(t) for t in batch], dtype=np.float32)

    options = {"fp32 (torch)": torch_encode(fp32), f"{getattr(bf16, 'dtype', 'fast')} (torch, default)":
               torch_encode(bf16), "int8 (ONNX, document prompt)": onnx_encode}
    ref = None
    print(f"{'option':<34}{'chunks/s':>9}{'cos vs fp32':>13}{'hit@5':>7}{'MRR@10':>8}")
    for name, encode in options.items():
        with torch_threads(2):
            encode(texts[:4])  # warm-up
            t = time.perf_counter()
            vecs = np.concatenate([encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])  # type: ignore[operator]
            rate = len(texts) / (time.perf_counter() - t)
        if ref is None:
            ref = vecs
        cos = float(np.mean(np.sum(vecs * ref, axis=1)))
        hit, mrr = quality(vecs, texts, queries, paraphrases)
        print(f"{name:<34}{rate:>9.2f}{cos:>13.4f}{hit:>7.3f}{mrr:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
