"""The int8 ONNX query encoder as a derived model artifact: its recipe, folder layout and stamp.

Pure (no torch / onnx imports): ``tutor.models.onnx_export`` builds the folder, ``tutor.models.onnx_query``
runs it, ``tutor.models.provision`` decides when to (re)build and reports its state.

Layout of ``<model_dir>/embeddinggemma-300m-query-int8/`` (written as ``….part``, renamed when
complete, so a folder with a ``meta.json`` is always whole)::

    model.onnx      input_ids, attention_mask (1 x seq, int64) -> query_embedding (1 x 768, unit norm)
    tokenizer.json  the tokenizer exactly as sentence-transformers configured it
    meta.json       the stamp: source model sha256, recipe + recipe id, query prompt, probe vectors,
                    file sizes, build figures (export / quantize seconds, peak RSS)

A re-run of ``tutor models fetch`` is a no-op while the stamp matches the source model's sha256 and
the current recipe id; a changed recipe (or source model) makes it rebuild.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

QUERY_ARTIFACT = "embeddinggemma-300m-query-int8"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
BUILD_HINT = "Run `tutor models fetch` to build the int8 ONNX query encoder (a few minutes, once)."

# A probe query's vector from this artifact must be this close (cosine) to the torch vector of the
# same model (int8 per-channel: 0.95-1.0 on 200 queries); a wrong tokenizer, model or graph lands far lower.
PROBE_MIN_COSINE = 0.90
PROBES = (
    "Как GQA уменьшает размер KV-кэша при инференсе?",
    "why does LoRA need so few trainable parameters",
    "чем отличается RAG от дообучения модели",
    "what is the difference between int8 and fp16 quantization",
    "зачем нужен reranker после векторного поиска",
    "How does speculative decoding speed up generation?",
)

ArtifactState = Literal["ready", "missing", "stale", "corrupt"]


@dataclass(frozen=True)
class QuantRecipe:
    """How the query graph is exported and quantized (``onnxruntime.quantization.quantize_dynamic``).

    ``exclude`` lists module-path fragments (e.g. ``"layers.0."``, ``"mlp"``, ``"dense"``) whose
    MatMuls stay fp32; ``fuse`` names ONNX Runtime fusions applied to the fp32 graph before
    quantizing (``"rmsnorm"``: Pow-ReduceMean-Add-Sqrt-Reciprocal-Mul-Mul -> one
    SimplifiedLayerNormalization; ``"gelu"``: the tanh GELU -> FastGelu), fewer nodes to dispatch
    per query; ``export_version`` is bumped when the export code changes its output.
    """

    per_channel: bool = True
    reduce_range: bool = False
    weight_type: Literal["QInt8", "QUInt8"] = "QInt8"
    op_types: tuple[str, ...] = ("MatMul",)
    exclude: tuple[str, ...] = ()
    opset: int = 18
    export_version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    fuse: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.fuse:
            del out["fuse"]  # recipes without fusions keep the ids they had before the field existed
        return out

    @property
    def id(self) -> str:
        """Content id: any change to the recipe gives a new id (and a rebuild)."""
        blob = json.dumps(self.to_json(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# Chosen by bench/quant_variants.py (docs/retrieval.md): per-channel int8 weights; the 24 MLP
# down_proj MatMuls stay fp32 (their GELU x up inputs carry the activation outliers: cosine to the
# fp32 model mean 0.997 / min 0.993, paraphrase MRR@10 0.906 vs 0.894 with only the 6 worst layers
# fp32); RMSNorm and the tanh GELU fused into single ORT nodes (3,183 -> 2,145 graph nodes, ~15% less
# time per query), which pays for the extra fp32 MatMuls (+6% per query vs the 6-layer recipe).
RECIPE = QuantRecipe(exclude=("down_proj",), fuse=("rmsnorm", "gelu"))


def artifact_dir(model_dir: Path) -> Path:
    return model_dir / QUERY_ARTIFACT


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The artifact's stamp, or None if there is none (or it is unreadable)."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def file_sizes(folder: Path) -> dict[str, int]:
    return {name: (folder / name).stat().st_size for name in (MODEL_FILE, TOKENIZER_FILE)
            if (folder / name).is_file()}


def artifact_state(folder: Path, source_sha256: str, recipe: QuantRecipe = RECIPE) -> tuple[ArtifactState, str]:
    """(state, detail) of the artifact in ``folder`` for this source model and recipe."""
    if not folder.is_dir():
        return "missing", BUILD_HINT
    meta = read_meta(folder)
    if meta is None:
        return "corrupt", f"{META_FILE} is missing or unreadable"
    if meta.get("sizes") != file_sizes(folder):
        return "corrupt", f"files changed since the build: {file_sizes(folder)} != {meta.get('sizes')}"
    if meta.get("source_sha256") != source_sha256:
        return "stale", "built from a different source model"
    if meta.get("recipe_id") != recipe.id:
        return "stale", f"built with recipe {meta.get('recipe_id')}, current recipe is {recipe.id}"
    return "ready", f"recipe {recipe.id}"

