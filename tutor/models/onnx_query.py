"""Runtime adapter: the int8 ONNX query encoder (ONNX Runtime + the saved ``tokenizers`` tokenizer).

No torch here. ``OnnxQueryEncoder.open(folder, threads=...)`` loads the artifact built by
``tutor.models.onnx_export`` and checks it before first use: the files and sizes match the stamp, the
output is ``dim``-dimensional, and the first probe query's vector is within ``PROBE_MIN_COSINE`` of
the torch vector recorded at build time. Anything else is a ``ModelError`` with a hint — never a
silently wrong vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tutor.core.errors import ModelError
from tutor.models.query_artifact import (
    META_FILE,
    MODEL_FILE,
    PROBE_MIN_COSINE,
    TOKENIZER_FILE,
    file_sizes,
    read_meta,
)
from tutor.text.similarity import cosine

REBUILD_HINT = ("Delete the folder and run `tutor models fetch` to rebuild it, or set "
                "TUTOR_EMBED_QUERY_BACKEND=torch.")


class OnnxQueryEncoder:
    """``encode(text) -> unit vector`` for one query, prompt prepended exactly as sentence-transformers does."""

    backend = "onnx-int8"

    def __init__(self, session: Any, tokenizer: Any, *, prompt: str, dim: int) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.prompt = prompt
        self.dim = dim

    @classmethod
    def open(cls, folder: Path, *, threads: int = 1, meta: dict[str, Any] | None = None,
             graph_optimization: str = "all") -> OnnxQueryEncoder:
        """Load ``folder``. ``meta`` overrides meta.json (used by the builder before it writes it)."""
        if meta is None:
            meta = _checked_meta(folder)
        try:
            session = _session(folder / MODEL_FILE, threads, graph_optimization)
            tokenizer = _tokenizer(folder / TOKENIZER_FILE, int(meta.get("max_length", 2048)))
        except ModelError:
            raise
        except Exception as err:  # noqa: BLE001 - ORT / tokenizers raise many kinds of errors
            raise ModelError(f"Could not load the int8 ONNX query encoder from {folder}: {err}",
                             hint=REBUILD_HINT) from err
        encoder = cls(session, tokenizer, prompt=str(meta["query_prompt"]), dim=int(meta["dim"]))
        if meta.get("probe"):
            encoder.check_probe(meta["probe"], n=1)
        return encoder

    def token_ids(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(self.prompt + text).ids)

    def encode(self, text: str) -> list[float]:
        import numpy as np

        ids = np.asarray([self.token_ids(text)], dtype=np.int64)
        out = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
        vec = [float(x) for x in out.reshape(-1)]
        if self.dim and len(vec) != self.dim:
            raise ModelError(f"The int8 ONNX query encoder returned {len(vec)} numbers, expected {self.dim}.",
                             hint=REBUILD_HINT)
        return vec

    def check_probe(self, probe: dict[str, Any], *, n: int | None = None) -> list[float]:
        """Cosines of this encoder's probe vectors to the recorded torch vectors (first ``n``);
        ModelError if any is below ``PROBE_MIN_COSINE``."""
        pairs = list(zip(probe["texts"], probe["vectors"], strict=True))[:n]
        cosines = [cosine(self.encode(text), ref) for text, ref in pairs]
        if min(cosines, default=1.0) < PROBE_MIN_COSINE:
            raise ModelError(f"The int8 ONNX query encoder gives wrong vectors (probe cosine "
                             f"{min(cosines):.3f} to the torch model, expected >= {PROBE_MIN_COSINE}).",
                             hint=REBUILD_HINT)
        return cosines


def _checked_meta(folder: Path) -> dict[str, Any]:
    meta = read_meta(folder)
    if meta is None:
        raise ModelError(f"The int8 ONNX query encoder at {folder} has no readable {META_FILE}.",
                         hint=REBUILD_HINT)
    missing = [k for k in ("query_prompt", "dim", "sizes") if k not in meta]
    if missing:
        raise ModelError(f"{folder / META_FILE} lacks {', '.join(missing)}.", hint=REBUILD_HINT)
    if meta["sizes"] != file_sizes(folder):
        raise ModelError(f"The int8 ONNX query encoder at {folder} changed since it was built "
                         f"(files {file_sizes(folder)}, expected {meta['sizes']}).", hint=REBUILD_HINT)
    return meta


def _session(path: Path, threads: int, graph_optimization: str) -> Any:
    import onnxruntime as ort

    levels = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
              "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
              "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(0, threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = levels[graph_optimization]
    opts.log_severity_level = 3
    # with 2+ threads the workers spin between the graph's many small ops (one query = ~2,100 nodes):
    # 24% less wall time per query on 2 cores (docs/retrieval.md); a query runs before the LLM call,
    # not beside it. One thread has no workers to spin.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if threads != 1 else "0")
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _tokenizer(path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_length)
    return tok
