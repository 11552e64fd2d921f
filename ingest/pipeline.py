"""Incremental, idempotent ingest: parse -> diff against the store -> embed only new chunks -> write.

Point ids come from chunk content (Chunk.chunk_id), every point carries its document's sha256, so
the store itself is the manifest: a document whose sha256 and chunk ids are unchanged is skipped,
a changed one gets exactly its new chunks upserted and its stale ones deleted, a document that is no
longer among the inputs is deleted. ``rebuild`` writes a fresh ``<alias>_<timestamp>`` collection and
switches the alias atomically. The embedder is only loaded when something has to be embedded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from ingest.bank import build_bank
from ingest.parse import ParsedDocument, parse_paths
from ingest.readers import SUFFIXES
from tutor.core.errors import InputError
from tutor.core.types import BankItem, Chunk

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.ports import Embedder, SparseEncoding, VectorStore
    from tutor.core.settings import Settings


class Adapters(Protocol):
    """What ingest needs, built once by the composition root (``tutor.services.Services``) and passed in."""

    settings: Settings

    @property
    def store(self) -> VectorStore: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def sparse(self) -> SparseEncoding: ...

    @property
    def question_index(self) -> Any: ...

    def with_rubrics(self, items: list[BankItem]) -> list[BankItem]: ...

    def forget_bank(self) -> None: ...

Manifest = dict[str, tuple[str, set[str]]]  # doc -> (sha256, chunk ids), as read from the store


class IngestReport(BaseModel):
    docs_added: list[str] = Field(default_factory=list)
    docs_changed: list[str] = Field(default_factory=list)
    docs_unchanged: list[str] = Field(default_factory=list)
    docs_removed: list[str] = Field(default_factory=list)
    chunks_upserted: int = 0
    chunks_deleted: int = 0
    chunks_total: int = 0
    bank_items: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    errors: list[str] = Field(default_factory=list, description="One readable line per failed document.")

    @property
    def changed(self) -> bool:
        return bool(self.docs_added or self.docs_changed or self.docs_removed or self.rebuilt)

    def summary(self) -> str:
        parts = [f"{len(self.docs_added)} added", f"{len(self.docs_changed)} changed",
                 f"{len(self.docs_unchanged)} unchanged", f"{len(self.docs_removed)} removed"]
        return (f"documents: {', '.join(parts)}; chunks: {self.chunks_upserted} upserted, "
                f"{self.chunks_deleted} deleted, {self.chunks_total} stored; "
                f"{self.bank_items} bank items; {self.seconds:.1f} s"
                + (" (rebuilt)" if self.rebuilt else ""))


class Plan(BaseModel):
    """What to write, computed purely from parsed documents and the stored manifest."""

    upsert: list[Chunk] = Field(default_factory=list, description="Chunks whose ids are not stored yet.")
    refresh: list[Chunk] = Field(default_factory=list, description="Kept chunks of changed docs (payload only).")
    delete: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


def plan(docs: Sequence[ParsedDocument], stored: Manifest, *, keep: frozenset[str] = frozenset()) -> Plan:
    """Diff parsed documents against the store. ``keep``: docs that failed to parse this time
    (their stored chunks stay). Pure: no I/O.

    doc new -> added (all chunks upserted); same sha + same ids -> unchanged; otherwise changed
    (new ids upserted, stale ids deleted, kept ids get their payload refreshed).
    """
    p = Plan()
    for d in docs:
        ids = {c.chunk_id for c in d.chunks}
        if d.doc not in stored:
            p.added.append(d.doc)
            p.upsert += d.chunks
            continue
        sha, old = stored[d.doc]
        if sha == d.sha256 and old == ids:
            p.unchanged.append(d.doc)
            continue
        p.changed.append(d.doc)
        p.upsert += [c for c in d.chunks if c.chunk_id not in old]
        p.refresh += [c for c in d.chunks if c.chunk_id in old]
        p.delete += sorted(old - ids)
    names = {d.doc for d in docs} | keep
    for doc, (_, old) in sorted(stored.items()):
        if doc not in names:
            p.removed.append(doc)
            p.delete += sorted(old)
    return p


def _write(services: Adapters, store: VectorStore, p: Plan, docs: Sequence[ParsedDocument],
           collection: str, *, progress: bool) -> None:
    """Embed and store the new chunks batch by batch (a bar with counts and time left when
    ``progress``), then refresh and delete. Each batch is in the store before the next is embedded,
    so a killed ingest resumes: the next run finds those chunks stored (point ids are the chunk ids)
    and embeds only the rest."""
    from tqdm import tqdm

    from tutor.models.embedder import torch_threads

    sha = {d.doc: d.sha256 for d in docs}
    embedder: Any = services.embedder
    sparse = services.sparse
    step = max(1, services.settings.embed_batch_size) * 4
    chunks = p.upsert
    with tqdm(total=len(chunks), desc="embedding + writing", unit="chunk", disable=not progress) as bar, \
            torch_threads(services.settings.ingest_threads):
        for i in range(0, len(chunks), step):
            batch = chunks[i:i + step]
            dense = embedder.embed_documents([c.text for c in batch])
            store.upsert(batch, dense, [sparse.encode_document(c.text) for c in batch], doc_sha=sha,
                         collection=collection)
            bar.update(len(batch))
    if p.refresh:
        for i in tqdm(range(0, len(p.refresh), step), desc="updating offsets", unit="batch", disable=not progress):
            store.refresh_payload(p.refresh[i:i + step], doc_sha=sha, collection=collection)
    store.delete(p.delete, collection=collection)


def _save_bank(services: Adapters, docs: list[ParsedDocument], *, force: bool) -> int:
    """Build the bank first (it rewrites merged chunks' question_id in place before they are
    stored), with every item's rubric (``Adapters.with_rubrics``: the user's, the reviewed, else the
    notes' structure). Written when the documents changed or the rubrics differ from the saved ones."""
    bank = build_bank(docs)
    bank.items = services.with_rubrics(bank.items)
    path = services.settings.bank_path
    if force or not path.exists() or _saved_json(path) != bank.model_dump_json(indent=1):
        path.parent.mkdir(parents=True, exist_ok=True)
        bank.save(path)
    return len(bank.items)


def _saved_json(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def ingest_paths(services: Adapters, paths: Sequence[Path | str], *, rebuild: bool = False,
                 progress: bool = False) -> IngestReport:
    """Bring the store (and the question bank) in line with the documents under ``paths``."""
    t0 = time.perf_counter()
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise InputError(f"Not found: {', '.join(missing)}. Nothing was changed in the knowledge base.")
    docs, errors = parse_paths([Path(p) for p in paths], services.settings.max_document_bytes, progress=progress)
    if not docs and not any(e.path for e in errors):  # nothing but unsupported types (or nothing)
        found = " ".join(str(e) for e in errors)
        raise InputError(f"No supported documents under {', '.join(map(str, paths))} "
                         f"({', '.join(sorted(SUFFIXES))}).{' ' + found if found else ''} "
                         "Nothing was changed in the knowledge base.")
    failed = frozenset(Path(e.path).name for e in errors if e.path)
    store: VectorStore = services.store
    stored: Manifest = {} if rebuild else store.manifest()
    p = plan(docs, stored, keep=failed)
    bank_changed = rebuild or bool(p.upsert or p.refresh or p.delete)
    items = _save_bank(services, docs, force=bank_changed)
    if rebuild:
        dim = int(services.embedder.dim)
        collection = store.create_collection(dim)
        _write(services, store, p, docs, collection, progress=progress)
        store.switch_alias(collection)
    elif bank_changed:
        collection = store.ensure(int(services.embedder.dim)) if p.upsert or not store.exists() else store.alias
        _write(services, store, p, docs, collection, progress=progress)
    if items and (bank_changed or not services.settings.question_index_path.exists()):
        services.forget_bank()
        services.question_index  # noqa: B018 - embeds the bank's phrasings now, not at the first grade
    return IngestReport(
        docs_added=p.added, docs_changed=p.changed, docs_unchanged=p.unchanged, docs_removed=p.removed,
        chunks_upserted=len(p.upsert), chunks_deleted=len(p.delete), chunks_total=store.count(),
        bank_items=items, rebuilt=rebuild, seconds=round(time.perf_counter() - t0, 3),
        errors=[e.user_message() for e in errors])
