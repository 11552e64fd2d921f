"""The int8 ONNX query encoder: stamp / no-op logic, backend selection, load-time checks.

Fast: a tiny hand-built ONNX graph (embedding lookup -> mean -> L2 norm) and a word-level
``tokenizers`` tokenizer stand in for the real export; the real one is checked by the slow test
in tests/integration/test_query_encoder_real.py.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import tutor.models.provision as tm
from tutor.core.errors import ModelError
from tutor.core.settings import Settings
from tutor.models.embedder import STEmbedder
from tutor.models.onnx_query import OnnxQueryEncoder
from tutor.models.provision import EMBED_SPEC, QUERY_ARTIFACT, query_encoder_path
from tutor.models.query_artifact import (
    META_FILE,
    MODEL_FILE,
    RECIPE,
    TOKENIZER_FILE,
    artifact_dir,
    artifact_state,
    file_sizes,
)
from tutor.text.similarity import cosine

WORDS = ["query:", "kv", "cache", "lora", "rag", "int8", "why", "what", "is"]
PROMPT = "query: "


def tiny_onnx(path: Path, *, dim: int, seed: int) -> None:
    """input_ids, attention_mask (1 x seq) -> unit mean of embedding rows (1 x dim)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = np.random.default_rng(seed).normal(size=(len(WORDS) + 2, dim)).astype("float32")
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["rows"], axis=0),
             helper.make_node("ReduceMean", ["rows", "axes"], ["mean"], keepdims=0),
             helper.make_node("LpNormalization", ["mean"], ["embedding"], axis=-1, p=2)]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, "seq"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, dim])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([1], dtype="int64"), "axes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(path))


def tiny_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit

    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = WhitespaceSplit()
    tok.save(str(path))


def make_artifact(model_dir: Path, *, dim: int = 8, seed: int = 0, source: str = EMBED_SPEC.sha256) -> Path:
    """A complete, consistent artifact folder (probe vectors from the tiny model itself)."""
    folder = artifact_dir(model_dir)
    folder.mkdir(parents=True)
    tiny_onnx(folder / MODEL_FILE, dim=dim, seed=seed)
    tiny_tokenizer(folder / TOKENIZER_FILE)
    meta = {"query_prompt": PROMPT, "dim": dim, "max_length": 64}
    enc = OnnxQueryEncoder.open(folder, meta=meta)
    texts = ["kv cache", "why lora"]
    meta.update(name=QUERY_ARTIFACT, source_sha256=source, recipe=RECIPE.to_json(), recipe_id=RECIPE.id,
                probe={"texts": texts, "vectors": [enc.encode(t) for t in texts]}, sizes=file_sizes(folder))
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return folder


def rewrite_meta(folder: Path, **changes: object) -> None:
    meta = json.loads((folder / META_FILE).read_text())
    meta.update(changes)
    (folder / META_FILE).write_text(json.dumps(meta))


# --- stamp / state -------------------------------------------------------------------------------
def test_recipe_id_is_stable_and_changes_with_any_field():
    assert RECIPE.id == replace(RECIPE).id
    ids = {RECIPE.id, replace(RECIPE, per_channel=not RECIPE.per_channel).id,
           replace(RECIPE, exclude=("dense",)).id, replace(RECIPE, export_version=RECIPE.export_version + 1).id}
    assert len(ids) == 4


def test_artifact_state_ready_missing_stale_corrupt(tmp_path):
    folder = artifact_dir(tmp_path)
    assert artifact_state(folder, EMBED_SPEC.sha256)[0] == "missing"
    make_artifact(tmp_path)
    assert artifact_state(folder, EMBED_SPEC.sha256)[0] == "ready"
    assert artifact_state(folder, "0" * 64)[0] == "stale"
    assert artifact_state(folder, EMBED_SPEC.sha256, replace(RECIPE, reduce_range=True))[0] == "stale"
    with (folder / MODEL_FILE).open("ab") as fh:  # the model file changed after the build
        fh.write(b"\0")
    state, detail = artifact_state(folder, EMBED_SPEC.sha256)
    assert state == "corrupt" and "changed" in detail
    (folder / META_FILE).write_text("{not json")
    assert artifact_state(folder, EMBED_SPEC.sha256)[0] == "corrupt"


def test_fetch_builds_once_then_is_a_noop_and_rebuilds_on_a_new_recipe(tmp_path, monkeypatch):
    builds: list[str] = []

    def fake_build(source, dest, *, source_sha256, recipe, progress):
        builds.append(recipe.id)
        shutil.rmtree(dest, ignore_errors=True)  # the real builder replaces the folder too
        make_artifact(dest.parent, source=source_sha256)
        rewrite_meta(dest, recipe_id=recipe.id)

    monkeypatch.setattr(tm, "fetch_one", lambda spec, *a, **k: "present")
    monkeypatch.setattr("tutor.models.onnx_export.build_query_model", fake_build)
    s = Settings(model_dir=tmp_path)
    assert tm.fetch(s, only="embedder") == {EMBED_SPEC.name: "present", QUERY_ARTIFACT: "built"}
    assert tm.fetch(s, only="embedder")[QUERY_ARTIFACT] == "present"
    assert len(builds) == 1
    monkeypatch.setattr(tm, "RECIPE", replace(RECIPE, per_channel=False))
    assert tm.fetch(s, only="embedder")[QUERY_ARTIFACT] == "built"
    assert len(builds) == 2 and builds[0] != builds[1]


def test_fetch_skips_the_artifact_when_it_can_never_be_used(tmp_path, monkeypatch):
    monkeypatch.setattr(tm, "fetch_one", lambda spec, *a, **k: "present")
    monkeypatch.setattr("tutor.models.onnx_export.build_query_model", lambda *a, **k: pytest.fail("built"))
    for s in (Settings(model_dir=tmp_path, embed_query_backend="torch"),
              Settings(model_dir=tmp_path, embed_quantize=False)):
        assert QUERY_ARTIFACT not in tm.fetch(s, only="embedder")
    assert QUERY_ARTIFACT not in tm.fetch(Settings(model_dir=tmp_path), only="llm")


def test_status_lists_the_artifact_and_verify_runs_the_probes(tmp_path):
    s = Settings(model_dir=tmp_path)
    row = {r.name: r for r in tm.status(s)}[QUERY_ARTIFACT]
    assert row.state == "missing" and "tutor models fetch" in row.detail
    folder = make_artifact(tmp_path)
    assert {r.name: r for r in tm.status(s)}[QUERY_ARTIFACT].state == "ready"
    row = {r.name: r for r in tm.status(s, verify=True)}[QUERY_ARTIFACT]
    assert row.state == "ready" and "probe cosine" in row.detail
    meta = json.loads((folder / META_FILE).read_text())
    meta["probe"]["vectors"][1] = [-x for x in meta["probe"]["vectors"][1]]
    (folder / META_FILE).write_text(json.dumps(meta))
    row = {r.name: r for r in tm.status(s, verify=True)}[QUERY_ARTIFACT]
    assert row.state == "corrupt" and "wrong vectors" in row.detail


# --- backend selection ---------------------------------------------------------------------------
def test_auto_uses_the_artifact_when_ready_else_torch_with_one_log_line(tmp_path, caplog):
    s = Settings(model_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="tutor.models.provision"):
        assert query_encoder_path(s) is None
    assert len(caplog.records) == 1 and "tutor models fetch" in caplog.records[0].getMessage()
    folder = make_artifact(tmp_path)
    assert query_encoder_path(s) == folder
    assert query_encoder_path(Settings(model_dir=tmp_path, embed_query_backend="torch")) is None
    assert query_encoder_path(Settings(model_dir=tmp_path, embed_quantize=False)) is None


def test_auto_falls_back_to_torch_on_a_stale_artifact(tmp_path, caplog):
    make_artifact(tmp_path, source="f" * 64)
    with caplog.at_level(logging.WARNING, logger="tutor.models.provision"):
        assert query_encoder_path(Settings(model_dir=tmp_path)) is None
    assert "stale" in caplog.text and "tutor models fetch" in caplog.text


def test_explicit_onnx_backend_requires_a_ready_artifact(tmp_path):
    s = Settings(model_dir=tmp_path, embed_query_backend="onnx-int8")
    with pytest.raises(ModelError) as err:
        query_encoder_path(s)
    assert "tutor models fetch" in err.value.user_message()
    with pytest.raises(ModelError, match="provisioned embeddinggemma"):
        query_encoder_path(Settings(model_dir=tmp_path, embed_query_backend="onnx-int8", embed_model="other/model"))
    assert query_encoder_path(Settings(model_dir=tmp_path, embed_model="other/model")) is None


def test_a_corrupt_artifact_is_an_error_even_in_auto(tmp_path):
    folder = make_artifact(tmp_path)
    (folder / TOKENIZER_FILE).write_text("{}")
    with pytest.raises(ModelError, match="corrupt"):
        query_encoder_path(Settings(model_dir=tmp_path))


# --- the runtime adapter -------------------------------------------------------------------------
def test_encoder_prepends_the_prompt_and_returns_unit_vectors(tmp_path):
    enc = OnnxQueryEncoder.open(make_artifact(tmp_path), threads=1)
    assert enc.token_ids("kv cache") == [1, 2, 3]  # "query:" is part of what the model sees
    vec = enc.encode("kv cache")
    assert len(vec) == enc.dim == 8
    assert abs(sum(x * x for x in vec) - 1.0) < 1e-5
    assert cosine(vec, enc.encode("why lora")) < 0.999


def test_a_swapped_model_file_fails_the_probe_check_at_load(tmp_path):
    folder = make_artifact(tmp_path)
    tiny_onnx(folder / MODEL_FILE, dim=8, seed=1)  # another model, same shape
    rewrite_meta(folder, sizes=file_sizes(folder))
    with pytest.raises(ModelError, match="wrong vectors") as err:
        OnnxQueryEncoder.open(folder)
    assert "tutor models fetch" in err.value.user_message()


def test_a_wrong_output_dim_or_garbage_file_is_a_model_error(tmp_path):
    folder = make_artifact(tmp_path)
    tiny_onnx(folder / MODEL_FILE, dim=4, seed=0)
    rewrite_meta(folder, sizes=file_sizes(folder))
    with pytest.raises(ModelError, match="expected 8"):
        OnnxQueryEncoder.open(folder)
    (folder / MODEL_FILE).write_bytes(b"not an onnx model")
    rewrite_meta(folder, sizes=file_sizes(folder))
    with pytest.raises(ModelError, match="Could not load"):
        OnnxQueryEncoder.open(folder)


class FakeST:
    """Just enough of a SentenceTransformer for STEmbedder: counts document encodes."""

    prompts = {"query": PROMPT, "document": "doc: "}

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.encoded: list[str] = []

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, **kwargs):
        import numpy as np

        self.encoded += [f"{kwargs.get('prompt_name')}:{t}" for t in texts]
        return np.ones((len(texts), self.dim), dtype="float32") / np.sqrt(self.dim)


def test_embedder_routes_queries_to_onnx_documents_to_torch_and_caches(tmp_path):
    enc = OnnxQueryEncoder.open(make_artifact(tmp_path))
    calls: list[str] = []
    original = enc.encode
    enc.encode = lambda text: calls.append(text) or original(text)  # type: ignore[method-assign]
    model = FakeST(8)
    emb = STEmbedder(model, query_encoder=enc)
    assert emb.query_backend == "onnx-int8"
    q1 = emb.embed_query("  kv cache ")
    assert emb.embed_query("kv cache") == q1 == original("kv cache")
    assert calls == ["kv cache"] and model.encoded == []  # cached; torch never saw the query
    emb.embed_documents(["rag is"])
    assert model.encoded == ["document:rag is"]


def test_embedder_rejects_a_query_encoder_of_another_dim(tmp_path):
    enc = OnnxQueryEncoder.open(make_artifact(tmp_path))
    with pytest.raises(ModelError, match="8-dimensional") as err:
        STEmbedder(FakeST(16), query_encoder=enc)
    assert "TUTOR_EMBED_QUERY_BACKEND=torch" in err.value.user_message()


def test_recipe_exclusions_resolve_to_node_names_by_module_scope():
    from onnx import helper

    from tutor.models.onnx_export import excluded_nodes, matmul_scopes

    def node(op: str, name: str, scope: str):
        n = helper.make_node(op, ["a", "b"], [name + "_out"], name=name)
        n.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=scope)
        return n

    graph = helper.make_graph([
        node("MatMul", "node_linear", "['', 'modules_.0.model.layers.0.self_attn.q_proj']"),
        node("MatMul", "node_linear_4", "['', 'modules_.0.model.layers.0.mlp.gate_proj']"),
        node("MatMul", "node_linear_70", "['', 'modules_.0.model.layers.10.mlp.down_proj']"),
        node("Gemm", "node_linear_168", "['', 'modules_.2', 'modules_.2.linear']"),
        node("Add", "node_add", "['', 'modules_.0.model.layers.0.mlp']")], "g", [], [])
    scopes = matmul_scopes(helper.make_model(graph))
    assert set(scopes) == {"node_linear", "node_linear_4", "node_linear_70", "node_linear_168_MatMul"}
    assert excluded_nodes(scopes, ("layers.0.",)) == ["node_linear", "node_linear_4"]  # not layers.10
    assert excluded_nodes(scopes, (".mlp",)) == ["node_linear_4", "node_linear_70"]
    assert excluded_nodes(scopes, ("modules_.2",)) == ["node_linear_168_MatMul"]


def test_recipes_without_fusions_keep_their_ids_and_fusions_change_them():
    from tutor.models.query_artifact import QuantRecipe

    old = QuantRecipe(exclude=tuple(f"layers.{i}.mlp.down_proj" for i in (0, 23, 19, 6, 14, 5)))
    assert old.id == "83dc7ebc7c4728cc"  # the id the 6-layer recipe had before `fuse` existed
    assert replace(old, fuse=("rmsnorm",)).id != old.id and "fuse" in RECIPE.to_json()


def test_rmsnorm_fusion_gives_one_node_and_the_same_numbers(tmp_path):
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper, save

    from tutor.models.onnx_export import fuse_graph

    w = numpy_helper.from_array(np.array([0.5, 1.0, 1.5, 2.0], dtype=np.float32), "w")
    consts = [numpy_helper.from_array(np.array(v, dtype=np.float32), n) for n, v in (("two", 2.0), ("eps", 1e-6))]
    axes = numpy_helper.from_array(np.array([-1], dtype=np.int64), "axes")
    nodes = [helper.make_node("Pow", ["x", "two"], ["p"]),
             helper.make_node("ReduceMean", ["p", "axes"], ["m"], keepdims=1),
             helper.make_node("Add", ["m", "eps"], ["a"]), helper.make_node("Sqrt", ["a"], ["s"]),
             helper.make_node("Reciprocal", ["s"], ["r"]), helper.make_node("Mul", ["x", "r"], ["n"]),
             helper.make_node("Mul", ["n", "w"], ["y"])]
    graph = helper.make_graph(nodes, "rms", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4])],
                              [w, *consts, axes])
    src, dst = tmp_path / "a.onnx", tmp_path / "b.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), str(src))
    counts = fuse_graph(src, dst, ("rmsnorm", "gelu"))
    assert counts == {"nodes_before": 7, "nodes_after": 1}
    x = np.random.default_rng(0).normal(size=(1, 3, 4)).astype(np.float32)
    run = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0] for p in (src, dst)]
    assert np.allclose(run[0], run[1], atol=1e-5)
    with pytest.raises(ModelError, match="Unknown graph fusion"):
        fuse_graph(src, dst, ("attention",))
