"""Optional: run the real ``ragas`` 0.4.3 metrics beside ours on the rows of an answers report,
with the same judge (an OpenAI-compatible URL) and the same embedder, and report agreement.

ragas needs openai<2 (via instructor) while the project uses openai 3.x, so it lives in its own
venv that also sees the project's packages (see docs/evals.md, "ragas side by side"):

    RAGAS_DO_NOT_TRACK=true HF_HUB_OFFLINE=1 /tmp/ragas-venv/bin/python -m evals.ragas_compare \
        reports/<id> --judge-url http://127.0.0.1:8088/v1 --limit 3

Never imported by the default code paths.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from evals.metrics.stats import mean, pearson

METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall",
           "answer_correctness")


def _ragas_metrics(judge_url: str, model: str, embedder: Any) -> dict[str, Any]:
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    from openai import AsyncOpenAI
    from ragas.embeddings.base import BaseRagasEmbedding
    from ragas.llms import llm_factory
    from ragas.metrics.collections import (
        AnswerCorrectness,
        AnswerRelevancy,
        ContextPrecision,
        ContextRecall,
        Faithfulness,
    )

    class SameEmbedder(BaseRagasEmbedding):
        def embed_text(self, text: str, **kwargs: Any) -> list[float]:
            return list(embedder.embed_query(text))

        async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
            return self.embed_text(text)

    llm = llm_factory(model, client=AsyncOpenAI(base_url=judge_url, api_key="EMPTY", timeout=600),
                      max_tokens=1024, temperature=0.0)
    emb = SameEmbedder()
    return {"faithfulness": Faithfulness(llm=llm), "answer_relevancy": AnswerRelevancy(llm=llm, embeddings=emb),
            "context_precision": ContextPrecision(llm=llm), "context_recall": ContextRecall(llm=llm),
            "answer_correctness": AnswerCorrectness(llm=llm, embeddings=emb)}


def _inputs(name: str, row: dict[str, Any]) -> dict[str, Any]:
    q, a, c, r = row["question"], row["answer"], row["contexts"], row["reference"]
    return {"faithfulness": {"user_input": q, "response": a, "retrieved_contexts": c},
            "answer_relevancy": {"user_input": q, "response": a},
            "context_precision": {"user_input": q, "reference": r, "retrieved_contexts": c},
            "context_recall": {"user_input": q, "retrieved_contexts": c, "reference": r},
            "answer_correctness": {"user_input": q, "response": a, "reference": r}}[name]


def compare(report_dir: Path, judge_url: str, model: str, limit: int,
            names: tuple[str, ...] = METRICS) -> dict[str, Any]:
    from tutor.core.settings import Settings
    from tutor.models.embedder import build_embedder

    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    rows = [r for s in data["suites"] if s["suite"] in ("ragas", "answers") for r in s["rows"]
            if r.get("answer") and r.get("contexts") and r.get("covered")][:limit]
    metrics = {k: v for k, v in _ragas_metrics(judge_url, model, build_embedder(Settings())).items()
               if k in names}
    out: dict[str, Any] = {"report": data["id"], "judge_url": judge_url, "items": [], "agreement": {}}
    t0 = time.perf_counter()
    for row in rows:
        item: dict[str, Any] = {"id": row["id"]}
        out["items"].append(item)
        for name, metric in metrics.items():
            t1 = time.perf_counter()
            try:
                v = float(metric.score(**_inputs(name, row)).value)
                item[f"ragas.{name}"] = None if math.isnan(v) else v
            except Exception as err:  # noqa: BLE001 - record why ragas failed on this item
                item[f"ragas.{name}"] = None
                item[f"ragas.{name}.error"] = f"{type(err).__name__}: {str(err)[:200]}"
            item[f"ours.{name}"] = row.get(name)
            item[f"ragas.{name}.seconds"] = round(time.perf_counter() - t1, 1)
            print(f"{row['id']} {name}: ragas {item[f'ragas.{name}']} ours {row.get(name)} "
                  f"({item[f'ragas.{name}.seconds']} s)", flush=True)
            _agreement(out, names, t0, report_dir)  # partial results survive an interrupted run
    return _agreement(out, names, t0, report_dir)


def _agreement(out: dict[str, Any], names: tuple[str, ...], t0: float, report_dir: Path) -> dict[str, Any]:
    for name in names:
        pairs = [(i[f"ours.{name}"], i[f"ragas.{name}"]) for i in out["items"]
                 if i.get(f"ours.{name}") is not None and i.get(f"ragas.{name}") is not None]
        out["agreement"][name] = {
            "n": len(pairs), "ours_mean": mean([p[0] for p in pairs]), "ragas_mean": mean([p[1] for p in pairs]),
            "mean_abs_diff": mean([abs(a - b) for a, b in pairs]),
            "pearson": pearson([p[0] for p in pairs], [p[1] for p in pairs]) if len(pairs) > 2 else None}
    out["duration_s"] = round(time.perf_counter() - t0, 1)
    (report_dir / "ragas_comparison.json").write_text(json.dumps(out, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report_dir", type=Path)
    ap.add_argument("--judge-url", required=True)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--metrics", default=",".join(METRICS), help="Comma-separated subset.")
    args = ap.parse_args()
    res = compare(args.report_dir, args.judge_url, args.model, args.limit,
                  tuple(m for m in args.metrics.split(",") if m in METRICS))
    print(json.dumps(res["agreement"], indent=1))


if __name__ == "__main__":
    main()
