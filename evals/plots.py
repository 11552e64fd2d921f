"""Matplotlib plots for a report (Agg backend, PNG). Imported only when a report is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.results import SuiteResult


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def retrieval_bars(res: SuiteResult, out: Path) -> list[str]:
    """One grouped bar chart per query set: metrics x modes."""
    plt = _plt()
    files = []
    for set_name in ("paraphrase", "golden"):
        keys = sorted({k.split(".")[-1] for k in res.metrics
                       if k.startswith(f"retrieval.{set_name}.") and not k.endswith("_s")})
        modes = [m for m in ("dense", "sparse", "hybrid")
                 if any(k.startswith(f"retrieval.{set_name}.{m}.") for k in res.metrics)]
        if not keys or not modes:
            continue
        fig, ax = plt.subplots(figsize=(7, 3.5))
        width = 0.8 / len(modes)
        for i, mode in enumerate(modes):
            vals = [res.metrics.get(f"retrieval.{set_name}.{mode}.{k}") or 0.0 for k in keys]
            ax.bar([x + i * width for x in range(len(keys))], vals, width, label=mode)
        ax.set_xticks([x + width * (len(modes) - 1) / 2 for x in range(len(keys))], keys)
        ax.set_ylim(0, 1)
        ax.set_title(f"Retrieval by mode ({set_name} set)")
        ax.legend(loc="lower right", fontsize=8)
        name = f"retrieval_{set_name}.png"
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append(name)
    return files


def metric_distributions(res: SuiteResult, keys: list[str], out: Path) -> list[str]:
    plt = _plt()
    present = [k for k in keys if any(r.get(k) is not None for r in res.rows)]
    if not present:
        return []
    fig, axes = plt.subplots(1, len(present), figsize=(2.6 * len(present), 2.6), squeeze=False)
    for ax, k in zip(axes[0], present, strict=True):
        ax.hist([r[k] for r in res.rows if r.get(k) is not None], bins=10, range=(0, 1))
        ax.set_title(k, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "answer_metrics.png", dpi=90)
    plt.close(fig)
    return ["answer_metrics.png"]


def grade_by_label(res: SuiteResult, out: Path) -> list[str]:
    plt = _plt()
    labels = ["wrong", "partial", "strong"]
    data = [[r["score"] for r in res.rows if r.get("label") == lab and "score" in r and "kind" not in r]
            for lab in labels]
    if not any(data):
        return []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for i, vals in enumerate(data):
        ax.scatter([i + 1] * len(vals), vals, alpha=0.6)
    ax.boxplot([d or [0.0] for d in data])
    ax.set_xticks([1, 2, 3], labels)
    ax.set_ylim(-0.5, 10.5)
    ax.set_ylabel("grader score (0-10)")
    ax.set_title("Grader score by label")
    fig.tight_layout()
    fig.savefig(out / "grade_by_label.png", dpi=90)
    plt.close(fig)
    return ["grade_by_label.png"]
