"""Activation outliers at each layer's MLP down_proj input (why RECIPE keeps 6 of them fp32).

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/down_proj_outliers.py [--n 50]

Runs every 4th bank question (calibration set: the bank, never the paraphrase test set) through the
fp32 torch model with the 'query' prompt and prints, per layer, the mean over queries of
max|x| / mean|x| of the down_proj input — the quantity that hurts ORT's per-tensor uint8
activation quantization — ranked from the worst.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from ingest.bank import build_bank
    from ingest.parse import parse_paths
    from tutor.core.settings import Settings
    from tutor.models.provision import embedder_path

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50)
    args = ap.parse_args()
    docs, _ = parse_paths([REPO / "corpus"])
    questions = [i.question for i in build_bank(docs).items][::4][:args.n]
    st = SentenceTransformer(embedder_path(Settings()), device="cpu", local_files_only=True).eval()
    layers: Any = st[0].auto_model.layers  # type: ignore[union-attr]
    ratios: dict[int, list[float]] = {i: [] for i in range(len(layers))}

    def hook_for(i: int):
        def hook(module, inputs):
            x = inputs[0].float().abs()
            ratios[i].append(float(x.max() / x.mean()))
        return hook

    for i, layer in enumerate(layers):
        layer.mlp.down_proj.register_forward_pre_hook(hook_for(i))
    with torch.inference_mode():
        for q in questions:
            st.encode([q], prompt_name="query")
    mean = {i: round(statistics.mean(v), 1) for i, v in ratios.items()}
    print(json.dumps({"n_queries": len(questions), "ratio_by_layer": mean,
                      "ranked": sorted(mean, key=lambda i: -mean[i])}))


if __name__ == "__main__":
    main()
