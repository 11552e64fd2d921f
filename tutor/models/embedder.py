"""Sentence-transformers embedder (EmbeddingGemma by default), always offline.

Fast path (``settings.embed_quantize``): on CPU the model runs in bfloat16 where the CPU has
native bf16 (the AMX / AVX512-BF16 units of recent x86 CPUs; ``bf16_supported``), which halves the
bytes read per query (batch-1 queries are memory-bound); elsewhere it stays fp32. Measured on an
AMX 2-core box: cosine to the fp32 vectors >= 0.999, hit@5 unchanged, while torch's int8 dynamic quantization of the Linear layers moves vectors to cosine ~0.955 (see
docs/retrieval.md). Repeated queries are served from an LRU cache.

Queries (not documents) go through the int8 ONNX Runtime graph (``tutor.models.onnx_query``) when
``settings.embed_query_backend`` selects it (``tutor.models.provision.query_encoder_path``): one query in
~1/3 of the bf16 CPU time. Documents are always embedded by torch.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from tutor.core.errors import ModelError
from tutor.core.settings import Settings
from tutor.models.provision import embedder_path, query_encoder_path


class QueryEncoder(Protocol):
    """One query -> unit vector in the document model's space (e.g. ``OnnxQueryEncoder``)."""

    backend: str
    dim: int

    def encode(self, text: str) -> list[float]: ...


class STEmbedder:
    """Implements tutor.core.ports.Embedder on a loaded SentenceTransformer; queries go to
    ``query_encoder`` when one is given (same model, another runtime), else to the torch model."""

    def __init__(self, model: Any, *, batch_size: int = 16, cache_size: int = 512,
                 query_encoder: QueryEncoder | None = None) -> None:
        self._model = model
        dim_fn = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim: int = int(dim_fn())
        if query_encoder is not None and query_encoder.dim != self.dim:
            raise ModelError(f"The {query_encoder.backend} query encoder gives {query_encoder.dim}-dimensional "
                             f"vectors but the embedding model {self.dim}-dimensional ones.",
                             hint="Run `tutor models fetch` to rebuild it, or set TUTOR_EMBED_QUERY_BACKEND=torch.")
        self._query_encoder = query_encoder
        self.batch_size = batch_size
        self._has_prompts = {"query", "document"} <= set(getattr(model, "prompts", {}) or {})
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # torch modules are not safe for concurrent forward passes

    def _encode(self, texts: Sequence[str], prompt: str, *, progress: bool = False) -> list[list[float]]:
        import torch

        kwargs: dict[str, Any] = {"prompt_name": prompt} if self._has_prompts else {}
        with self._lock, torch.inference_mode():
            arr = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress, **kwargs)
        return [[float(x) for x in row] for row in arr.astype("float32")]

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> list[list[float]]:
        if not texts:
            return []
        return self._encode(texts, "document", progress=progress)

    def embed_query(self, text: str) -> list[float]:
        key = text.strip()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        if self._query_encoder is not None:
            vec = self._query_encoder.encode(key)
        else:
            vec = self._encode([key], "query")[0]
        with self._lock:
            self._cache[key] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def with_query_encoder(self, query_encoder: QueryEncoder | None) -> STEmbedder:
        """The same torch model (and lock) with another query path and an empty cache; None = torch."""
        other = STEmbedder(self._model, batch_size=self.batch_size, cache_size=self._cache_size,
                           query_encoder=query_encoder)
        other._lock = self._lock
        return other

    @property
    def query_backend(self) -> str:
        """'onnx-int8' or the torch model's dtype ('torch-bfloat16' / 'torch-float32')."""
        if self._query_encoder is not None:
            return self._query_encoder.backend
        dtype = getattr(self._model, "dtype", None)
        return f"torch-{str(dtype).removeprefix('torch.')}" if dtype is not None else "torch"

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


def _load(path: str, *, fast: bool) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if Path(path).is_absolute() and not Path(path).exists():
        raise ModelError(f"The embedding model folder {path} does not exist.",
                         hint="Run `tutor models fetch` (or set TUTOR_EMBED_MODEL to a local folder).")
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as err:  # noqa: BLE001 - many loader errors; all mean "model unavailable"
        raise ModelError(f"Could not load the embedding model from {path}: {err}",
                         hint="Run `tutor models fetch`; the Hugging Face Hub is not used at runtime.") from err
    if fast and bf16_supported():
        model.to(torch.bfloat16)
    return model


_BF16_FLAGS = frozenset(("avx512_bf16", "amx_bf16", "bf16"))  # x86 AVX512-BF16 / AMX, arm64 BF16


def cpu_flags(cpuinfo: str) -> set[str] | None:
    """CPU feature flags from /proc/cpuinfo text ('flags' on x86, 'Features' on arm64), None if absent."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return None


def bf16_supported() -> bool:
    """True if the CPU has native bf16 instructions (AVX512-BF16 / AMX / arm64 BF16). Elsewhere bf16
    is emulated and much slower than fp32 (measured on an AVX-512 Xeon without AVX512-BF16: 2.0 s
    vs 0.78 s per 800-character chunk, 1 thread), so the fast path falls back to fp32. oneDNN's own
    ``_is_mkldnn_bf16_supported()`` says True on any AVX-512 CPU, emulation included, so it is only
    the fallback where /proc/cpuinfo is missing."""
    try:
        flags = cpu_flags(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        flags = None
    if flags is not None:
        return bool(flags & _BF16_FLAGS)
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a batch job (ingest) on ``n`` torch threads (0 = all cores), then restore the setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n if n > 0 else max(1, os.cpu_count() or 1))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_query_encoder(settings: Settings) -> QueryEncoder | None:
    """The int8 ONNX query encoder if the settings select it (checked on load), else None (torch)."""
    folder = query_encoder_path(settings)
    if folder is None:
        return None
    from tutor.models.onnx_query import OnnxQueryEncoder

    return OnnxQueryEncoder.open(folder, threads=settings.embed_query_threads)


def build_embedder(settings: Settings) -> STEmbedder:
    """The project's embedder: offline, normalised vectors, bf16 fast path if embed_quantize,
    queries through the int8 ONNX encoder when selected."""
    query_encoder = build_query_encoder(settings)  # first: a broken artifact fails before torch loads
    if settings.embed_threads > 0:
        import torch

        torch.set_num_threads(settings.embed_threads)
    model = _load(embedder_path(settings), fast=settings.embed_quantize)
    return STEmbedder(model, batch_size=settings.embed_batch_size, query_encoder=query_encoder)
