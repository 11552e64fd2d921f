"""Qdrant adapter: one collection (named dense + named sparse vector) read through an alias.

Embedded mode (``QdrantClient(path=...)``) by default, a server when ``settings.qdrant_url`` is set;
the rest of the code is the same. Hybrid search is fused by Qdrant itself (RRF over two prefetches).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tutor.core.errors import StoreBusyError, StoreError
from tutor.core.settings import Settings
from tutor.core.types import Chunk, Filters, Mode
from tutor.retrieval import local_sparse
from tutor.retrieval.sparse import SparseVec
from tutor.retrieval.thresholds import RETRIEVAL
from tutor.text.similarity import unit_rows

DENSE = "dense"
SPARSE = "sparse"
DOC_SHA = "doc_sha256"  # extra payload key next to the Chunk fields


def point_id(chunk_id: str) -> str:
    """Qdrant point id of a chunk: its uuid hex as a UUID ('6959de47…' -> '6959de47-…')."""
    try:
        return str(uuid.UUID(hex=chunk_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, chunk_id))


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float
    dense: list[float] | None


def open_store(settings: Settings) -> Store:
    """A Store on the embedded path or on the server; StoreBusyError if the path is locked."""
    from qdrant_client import QdrantClient

    if settings.qdrant_url:
        client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key or None)
        return Store(client, settings.collection, remote=True)
    settings.qdrant_path.mkdir(parents=True, exist_ok=True)
    local_sparse.install()  # same results; posting lists instead of a Python merge per point
    try:
        client = QdrantClient(path=str(settings.qdrant_path))
    except RuntimeError as err:
        if "already accessed" not in str(err):
            raise StoreError(f"Could not open the knowledge base at {settings.qdrant_path}: {err}") from err
        raise StoreBusyError(
            f"The knowledge base at {settings.qdrant_path} is in use by another tutor process "
            "(embedded Qdrant allows one process per folder).",
            hint="Stop the other `tutor` process, use another TUTOR_DATA_DIR, "
                 "or run a Qdrant server and set TUTOR_QDRANT_URL.") from err
    return Store(client, settings.collection)


def build_filter(filters: Filters | None) -> Any:
    """Filters -> qdrant Filter (AND over fields, OR within a field); None if empty."""
    from qdrant_client import models

    if filters is None or filters.is_empty():
        return None
    must = [models.FieldCondition(key=key, match=models.MatchAny(any=list(values)))
            for key, values in (("doc", filters.doc), ("topic", filters.topic),
                                ("level", filters.level), ("kind", filters.kind)) if values]
    return models.Filter(must=must)


class Store:
    def __init__(self, client: Any, alias: str, *, remote: bool = False) -> None:
        self.client = client
        self.alias = alias
        self.remote = remote  # payload indexes only matter on a server

    def close(self) -> None:
        self.client.close()

    # --- collections & alias -------------------------------------------------------------------
    def exists(self) -> bool:
        return self.target() is not None

    def target(self) -> str | None:
        """The physical collection the alias points to (None if there is none)."""
        for alias in self.client.get_aliases().aliases:
            if alias.alias_name == self.alias:
                return str(alias.collection_name)
        return None

    def create_collection(self, dim: int) -> str:
        """A new physical collection ``<alias>_<timestamp>``; the alias is not touched."""
        from qdrant_client import models

        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 1_000_000:06d}"
        # DOT over vectors this store normalises itself (upsert and query): the same scores as COSINE,
        # and the embedded store no longer re-normalises every stored vector on every query
        # (44 -> ~3 ms at 20,000 chunks, `bench/scale.py`). Older COSINE collections still work.
        self.client.create_collection(
            name,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.DOT)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        for key in ("doc", "topic", "level", "kind") if self.remote else ():  # filter fields
            self.client.create_payload_index(name, key, models.PayloadSchemaType.KEYWORD)
        return name

    def switch_alias(self, collection: str) -> str | None:
        """Point the alias at ``collection`` atomically; drop and return the old collection."""
        from qdrant_client import models

        old = self.target()
        ops: list[Any] = []
        if old is not None:
            ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.alias)))
        ops.append(models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=self.alias)))
        self.client.update_collection_aliases(change_aliases_operations=ops)
        if old is not None and old != collection:
            self.client.delete_collection(old)
        return old

    def ensure(self, dim: int) -> str:
        """The alias target, created on first use; StoreError if its vector size differs."""
        name = self.target()
        if name is None:
            return self.switch_alias(self.create_collection(dim)) or self.target() or ""
        size = self.client.get_collection(name).config.params.vectors[DENSE].size
        if size != dim:
            raise StoreError(f"The knowledge base holds {size}-d vectors but the embedder makes {dim}-d ones.",
                             hint="Run `tutor ingest --rebuild` after changing the embedding model.")
        return name

    # --- writes ---------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], dense: Sequence[Sequence[float]],
               sparse: Sequence[SparseVec], *, doc_sha: dict[str, str], collection: str | None = None,
               batch: int = 64) -> int:
        from qdrant_client import models

        unit = unit_rows(dense).tolist() if len(dense) else []  # DOT collections: dot product = cosine
        points = [models.PointStruct(
            id=point_id(c.chunk_id),
            vector={DENSE: d, SPARSE: models.SparseVector(indices=s.indices, values=s.values)},
            payload={**c.model_dump(mode="json"), DOC_SHA: doc_sha.get(c.doc, "")},
        ) for c, d, s in zip(chunks, unit, sparse, strict=True)]
        for i in range(0, len(points), batch):
            self.client.upsert(collection or self.alias, points=points[i:i + batch], wait=True)
        return len(points)

    def refresh_payload(self, chunks: Sequence[Chunk], *, doc_sha: dict[str, str],
                        collection: str | None = None) -> int:
        """Overwrite the payload of already stored chunks (same text, new offsets / doc sha)."""
        for c in chunks:
            self.client.overwrite_payload(collection or self.alias, wait=True, points=[point_id(c.chunk_id)],
                                          payload={**c.model_dump(mode="json"), DOC_SHA: doc_sha.get(c.doc, "")})
        return len(chunks)

    def delete(self, chunk_ids: Iterable[str], *, collection: str | None = None) -> int:
        from qdrant_client import models

        ids = [point_id(c) for c in chunk_ids]
        if ids:
            self.client.delete(collection or self.alias, points_selector=models.PointIdsList(points=ids),
                               wait=True)
        return len(ids)

    # --- reads ----------------------------------------------------------------------------------
    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The stored chunks with these ids (missing ones are skipped), in the order asked."""
        if not chunk_ids or not self.exists():
            return []
        points = self.client.retrieve(self.alias, ids=[point_id(c) for c in chunk_ids], with_payload=True)
        found = {str(p.payload.get("chunk_id", "")): p for p in points if p.payload}
        return [Chunk.model_validate({k: v for k, v in found[c].payload.items() if k != DOC_SHA})
                for c in chunk_ids if c in found]

    def neighbours(self, chunk: Chunk, n: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        """Up to ``n`` chunks of the same document right before and after ``chunk`` (by offset)."""
        from qdrant_client import models

        flt = models.Filter(must=[models.FieldCondition(key="doc", match=models.MatchValue(value=chunk.doc))])
        chunks: list[Chunk] = []
        offset = None
        while True:
            points, offset = self.client.scroll(self.alias, scroll_filter=flt, limit=256, offset=offset,
                                                with_payload=True, with_vectors=False)
            chunks += [Chunk.model_validate({k: v for k, v in (p.payload or {}).items() if k != DOC_SHA})
                       for p in points]
            if offset is None:
                break
        chunks.sort(key=lambda c: (c.start, c.end))
        before = [c for c in chunks if c.end <= chunk.start and c.chunk_id != chunk.chunk_id][-n:]
        after = [c for c in chunks if c.start >= chunk.end and c.chunk_id != chunk.chunk_id][:n]
        return before, after

    def manifest(self) -> dict[str, tuple[str, set[str]]]:
        """doc -> (stored doc sha256, ids of its chunks), read by scrolling payloads only."""
        out: dict[str, tuple[str, set[str]]] = {}
        if not self.exists():
            return out
        offset = None
        while True:
            points, offset = self.client.scroll(self.alias, limit=512, offset=offset,
                                                with_payload=["doc", "chunk_id", DOC_SHA], with_vectors=False)
            for p in points:
                payload = p.payload or {}
                _, ids = out.setdefault(str(payload.get("doc", "")), (str(payload.get(DOC_SHA, "")), set()))
                ids.add(str(payload.get("chunk_id", "")))
            if offset is None:
                return out

    def count(self) -> int:
        return int(self.client.count(self.alias, exact=True).count) if self.exists() else 0

    def query(self, dense: list[float] | None, sparse: SparseVec | None, *, k: int, mode: Mode,
              filters: Filters | None = None, prefetch: int | None = None) -> list[ScoredChunk]:
        """Top-k chunks. hybrid: dense + sparse prefetches fused by RRF inside Qdrant."""
        from qdrant_client import models

        flt = build_filter(filters)
        dense = unit_rows(dense)[0].tolist() if dense is not None else None
        sparse_q = models.SparseVector(indices=sparse.indices, values=sparse.values) if sparse else None
        kwargs: dict[str, Any] = {}
        if mode == "hybrid":
            limit = prefetch or max(20, 4 * k)
            kwargs["prefetch"] = [models.Prefetch(query=dense, using=DENSE, limit=limit, filter=flt)]
            weights = [RETRIEVAL.rrf_weights[0]]
            if sparse_q is not None and sparse_q.indices:
                kwargs["prefetch"].append(models.Prefetch(query=sparse_q, using=SPARSE, limit=limit, filter=flt))
                weights.append(RETRIEVAL.rrf_weights[1])
            kwargs["query"] = models.RrfQuery(rrf=models.Rrf(k=RETRIEVAL.rrf_k, weights=weights))
        elif mode == "dense":
            kwargs.update(query=dense, using=DENSE, query_filter=flt)
        else:
            if sparse_q is None or not sparse_q.indices:
                return []
            kwargs.update(query=sparse_q, using=SPARSE, query_filter=flt)
        res = self.client.query_points(self.alias, limit=k, with_payload=True, with_vectors=[DENSE], **kwargs)
        return [_scored(p) for p in res.points]


def _scored(point: Any) -> ScoredChunk:
    payload = {k: v for k, v in (point.payload or {}).items() if k != DOC_SHA}
    vec = point.vector.get(DENSE) if isinstance(point.vector, dict) else None
    return ScoredChunk(chunk=Chunk.model_validate(payload), score=float(point.score),
                       dense=list(vec) if vec is not None else None)
