"""Build the int8 ONNX query encoder from the provisioned EmbeddingGemma (run by `tutor models fetch`).

The whole sentence-transformers pipeline for one query is exported as one graph — transformer,
mean pooling (prompt tokens included, as sentence-transformers does), the two Dense projections
and the L2 normalisation — with ``torch.onnx.export(dynamo=True)``, then its MatMuls are quantized
to int8 with ``onnxruntime.quantization.quantize_dynamic`` following ``QuantRecipe``. The result is
checked against the torch model on fixed probe queries (token ids identical, cosine >=
``PROBE_MIN_COSINE``) before the ``.part`` folder is renamed into place. Heavy imports (torch,
onnx, onnxruntime) happen inside the functions.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import resource
import time
from pathlib import Path
from typing import Any

from tutor.core.errors import ModelError
from tutor.models.assemble import remove
from tutor.models.query_artifact import (
    META_FILE,
    MODEL_FILE,
    PROBE_MIN_COSINE,
    PROBES,
    QUERY_ARTIFACT,
    RECIPE,
    TOKENIZER_FILE,
    QuantRecipe,
    file_sizes,
)
from tutor.text.similarity import cosine

log = logging.getLogger("tutor.models.onnx_export")
EXPORT_SAMPLE = "task: search result | query: how does grouped-query attention shrink the KV cache?"


def build_query_model(source: Path, dest: Path, *, source_sha256: str, recipe: QuantRecipe = RECIPE,
                      progress: bool = True) -> dict[str, Any]:
    """Export + quantize ``source`` (a sentence-transformers folder) into ``dest``; returns the meta.

    Written to ``dest.part`` and renamed into place only after the probe check passed; a failed
    build leaves nothing behind but raises ``ModelError``.
    """
    part = dest.with_name(dest.name + ".part")
    remove(part)
    part.mkdir(parents=True)
    try:
        meta = _build(source, part, source_sha256, recipe, progress)
        (part / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        remove(dest)
        os.replace(part, dest)
        return meta
    except ModelError:
        remove(part)
        raise
    except Exception as err:  # noqa: BLE001 - exporter / quantizer errors are many and deep
        remove(part)
        raise ModelError(f"Building the int8 ONNX query encoder failed: {type(err).__name__}: {err}",
                         hint="Queries keep using torch (TUTOR_EMBED_QUERY_BACKEND=torch silences this); "
                              "report the error.") from err


def _build(source: Path, part: Path, source_sha256: str, recipe: QuantRecipe, progress: bool) -> dict[str, Any]:
    say = log.info if not progress else print
    st = _load_fp32(source)
    prompt, max_length = st.prompts["query"], int(st.max_seq_length)
    reference = torch_reference(st, prompt)
    t0 = time.perf_counter()
    fp32 = part / "fp32.onnx"
    say(f"{QUERY_ARTIFACT}: exporting the query graph to ONNX (a few minutes)")
    export_graph(st, fp32, opset=recipe.opset)
    st.tokenizer.backend_tokenizer.save(str(part / TOKENIZER_FILE))
    export_s, export_rss = time.perf_counter() - t0, peak_rss_mb()
    del st  # the torch model is not needed any more: keep the quantizer's peak memory lower
    gc.collect()
    say(f"{QUERY_ARTIFACT}: quantizing the MatMuls to int8")
    t1 = time.perf_counter()
    excluded = quantize(fp32, part / MODEL_FILE, recipe)
    quantize_s = time.perf_counter() - t1
    for leftover in part.glob("fp32.onnx*"):
        remove(leftover)
    probe = probe_check(part, prompt, max_length, reference)
    return {
        "name": QUERY_ARTIFACT, "source_sha256": source_sha256, "recipe": recipe.to_json(),
        "recipe_id": recipe.id, "query_prompt": prompt, "dim": len(probe["vectors"][0]),
        "max_length": max_length, "excluded_nodes": len(excluded),
        "probe": probe, "sizes": file_sizes(part),
        "build": {"export_s": round(export_s, 1), "quantize_s": round(quantize_s, 1),
                  "peak_rss_mb_export": export_rss, "peak_rss_mb": peak_rss_mb(), "versions": _versions()},
    }


def _load_fp32(source: Path) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    model.to(torch.float32).eval()
    if not {"query"} <= set(model.prompts or {}):
        raise ModelError(f"The model at {source} has no 'query' prompt; the ONNX query encoder is only "
                         f"built for EmbeddingGemma.")
    return model


def query_graph(st: Any) -> Any:
    """torch module: (input_ids, attention_mask) -> unit embedding, through the ST modules 0..4."""
    import torch

    class QueryGraph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.modules_ = torch.nn.ModuleList(list(st))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
            for module in self.modules_:
                features = module(features)
            return features["sentence_embedding"]

    return QueryGraph().eval()


def export_graph(st: Any, out: Path, *, opset: int) -> None:
    import torch

    graph = query_graph(st)
    enc = st.tokenizer(EXPORT_SAMPLE, return_tensors="pt")
    seq = torch.export.Dim("seq", min=2, max=int(st.max_seq_length))
    # the output is not called "embedding": the exporter names the token-embedding Gather's output
    # that too, and the duplicate name breaks ONNX shape inference (and so ORT's quantizer)
    with torch.inference_mode(False), torch.no_grad():
        program = torch.onnx.export(
            graph, (enc["input_ids"], enc["attention_mask"]), dynamo=True, opset_version=opset,
            input_names=["input_ids", "attention_mask"], output_names=["query_embedding"],
            dynamic_shapes={"input_ids": {1: seq}, "attention_mask": {1: seq}}, verbose=False)
    if program is None:
        raise ModelError("torch.onnx.export returned no program.")
    program.save(str(out), external_data=True)
    drop_initializer_value_info(out)


def drop_initializer_value_info(path: Path) -> None:
    """Remove the exporter's value_info entries for initializers (their shapes are in the tensors).

    ORT's dynamic quantizer rewrites the Dense layers' Gemm (transB=1) as MatMul with a transposed
    weight; a stale value_info for that weight then fails ONNX shape inference (768 vs 3072)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    keep = [v for v in model.graph.value_info if v.name not in inits]
    del model.graph.value_info[:]
    model.graph.value_info.extend(keep)
    onnx.save(model, str(path))


def matmul_scopes(model: Any) -> dict[str, str]:
    """{MatMul node name: its torch module scope} from the exporter's node metadata. The Dense
    layers are exported as Gemm, which ORT's quantizer rewrites as MatMul named ``<gemm>_MatMul``."""
    out = {}
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm"):
            continue
        props = {p.key: p.value for p in node.metadata_props}
        scope = props.get("pkg.torch.onnx.name_scopes") or props.get("namespace") or ""
        name = node.name + "_MatMul" if node.op_type == "Gemm" else node.name
        out[name] = f"{scope} {name}"
    return out


def excluded_nodes(scopes: dict[str, str], fragments: tuple[str, ...]) -> list[str]:
    return sorted(name for name, scope in scopes.items() if any(f in scope for f in fragments))


def quantize(src: Path, dst: Path, recipe: QuantRecipe) -> list[str]:
    """Dynamic int8 quantization of ``src`` into one ``dst`` file; returns the excluded node names."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False)
    exclude = excluded_nodes(matmul_scopes(graph), recipe.exclude) if recipe.exclude else []
    del graph
    if recipe.fuse:
        fused = dst.with_name(dst.stem + ".fused-fp32.onnx")
        fuse_graph(src, fused, recipe.fuse)
        src = fused
    kwargs: dict[str, Any] = {
        "op_types_to_quantize": list(recipe.op_types), "per_channel": recipe.per_channel,
        "reduce_range": recipe.reduce_range, "weight_type": getattr(QuantType, recipe.weight_type),
        "nodes_to_exclude": exclude, "extra_options": dict(recipe.extra)}
    try:
        quantize_dynamic(str(src), str(dst), **kwargs)
    finally:
        if recipe.fuse:
            src.unlink(missing_ok=True)
    return exclude


FUSIONS = ("rmsnorm", "gelu")


def fuse_graph(src: Path, dst: Path, fusions: tuple[str, ...]) -> dict[str, int]:
    """ONNX Runtime's transformer fusions on the fp32 graph: each RMSNorm (7 nodes) -> one
    SimplifiedLayerNormalization, each tanh GELU (8 nodes) -> one FastGelu. Returns node counts."""
    import onnx
    from onnxruntime.transformers.fusion_fastgelu import FusionFastGelu
    from onnxruntime.transformers.fusion_simplified_layernorm import FusionSimplifiedLayerNormalization
    from onnxruntime.transformers.onnx_model import OnnxModel

    unknown = set(fusions) - set(FUSIONS)
    if unknown:
        raise ModelError(f"Unknown graph fusion(s) {sorted(unknown)}; known: {', '.join(FUSIONS)}.")
    model = OnnxModel(onnx.load(str(src)))
    before = len(model.model.graph.node)
    if "rmsnorm" in fusions:
        FusionSimplifiedLayerNormalization(model).apply()
    if "gelu" in fusions:
        FusionFastGelu(model).apply()
    model.prune_graph()
    model.save_model_to_file(str(dst))
    return {"nodes_before": before, "nodes_after": len(model.model.graph.node)}


def torch_reference(st: Any, prompt: str) -> dict[str, Any]:
    """sentence-transformers' token ids and fp32 unit vectors of ``PROBES`` (the 'query' prompt)."""
    import torch

    ids = [st.tokenize([prompt + text])["input_ids"][0].tolist() for text in PROBES]
    with torch.inference_mode():
        vecs = st.encode(list(PROBES), prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)
    return {"ids": ids, "vectors": [[round(float(x), 6) for x in v] for v in vecs]}


def probe_check(folder: Path, prompt: str, max_length: int, reference: dict[str, Any]) -> dict[str, Any]:
    """The saved tokenizer reproduces sentence-transformers' token ids and the int8 graph's vectors are
    within ``PROBE_MIN_COSINE`` of the fp32 torch vectors on ``PROBES``; the record kept in meta.json."""
    from tutor.models.onnx_query import OnnxQueryEncoder

    encoder = OnnxQueryEncoder.open(folder, threads=1, meta={"query_prompt": prompt, "dim": 0,
                                                            "max_length": max_length})
    if [encoder.token_ids(text) for text in PROBES] != reference["ids"]:
        raise ModelError("The saved tokenizer does not reproduce sentence-transformers' token ids.")
    cosines = [round(cosine(encoder.encode(t), r), 5) for t, r in zip(PROBES, reference["vectors"], strict=True)]
    if min(cosines) < PROBE_MIN_COSINE:
        raise ModelError(f"The int8 query encoder disagrees with the torch model on the probe queries "
                         f"(cosine {min(cosines):.3f} < {PROBE_MIN_COSINE}); it was not installed.")
    return {"texts": list(PROBES), "vectors": reference["vectors"], "cosine_int8_vs_fp32": cosines}


def peak_rss_mb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch

    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
