"""Library tab: documents with chunk / question counts, note uploads (every type ``ingest.readers``
reads, and a .zip of a notes folder or an Obsidian vault) with size limits and clear errors, and
(re-)ingest with a progress bar."""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import gradio as gr
import pandas as pd

from ingest.readers import MAX_BYTES, SUFFIXES, VAULT_MARK, size_error
from tutor.core.errors import InputError
from ui.backend import Backend
from ui.common import guarded

ALLOWED = tuple(sorted(SUFFIXES))  # what ingest.readers reads
ARCHIVE = ".zip"  # a notes folder or an Obsidian vault, unpacked into its own upload folder
MAX_FILES = 10
MAX_ARCHIVE_FILES = 5000


def safe_name(name: str) -> str:
    """'../My Notes (1).md' -> 'My_Notes_1_.md': a plain file name, no directories."""
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    stem, ext = (stem, f".{ext.lower()}") if dot else (base, "")
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "notes"
    return f"{stem[:80]}{ext}"


def check_upload(name: str, size: int, max_bytes: int = MAX_BYTES) -> None:
    """Raise InputError with a readable sentence when a file can't be ingested (the size limit is
    the one `tutor ingest` applies: settings.max_document_mb)."""
    ext = Path(name).suffix.lower()
    if ext not in (*ALLOWED, ARCHIVE):
        raise InputError(f"'{Path(name).name}' is not a supported file type.",
                         hint=f"Upload one of: {', '.join(ALLOWED)}, or a {ARCHIVE} of a notes folder or an "
                              "Obsidian vault.")
    if size > max_bytes:
        raise InputError(size_error(f"'{Path(name).name}'", size, max_bytes),
                         hint="Split the notes into smaller files or raise the limit.")
    if size == 0:
        raise InputError(f"'{Path(name).name}' is empty.")


def unpack_notes(archive: Path, target: Path, max_bytes: int = MAX_BYTES) -> Path:
    """Unpack a .zip of notes (an Obsidian vault keeps its ``.obsidian/`` folder, so its wiki-links
    resolve) into ``target`` (replaced whole: a note removed from the vault leaves the library).
    Only supported note files are written; every entry is checked first (all or nothing): no path
    out of the folder, no links, each file within ``max_bytes``, at most ``MAX_ARCHIVE_FILES``."""
    try:
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
            if len(infos) > MAX_ARCHIVE_FILES:
                raise InputError(f"'{archive.name}' holds {len(infos)} entries; the limit is {MAX_ARCHIVE_FILES}.")
            keep, vault = [], False
            for info in infos:
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                    raise InputError(f"'{archive.name}' has a path out of its folder ({info.filename}); nothing "
                                     "was unpacked.")
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise InputError(f"'{archive.name}' holds a link ({info.filename}); nothing was unpacked.")
                vault = vault or VAULT_MARK in parts
                if info.is_dir() or any(p.startswith(".") for p in parts):
                    continue
                if Path(parts[-1]).suffix.lower() in ALLOWED:
                    if info.file_size > max_bytes:
                        raise InputError(size_error(f"'{parts[-1]}' in '{archive.name}'", info.file_size, max_bytes),
                                         hint="Split the note or raise the limit.")
                    keep.append((info, parts))
            if not keep:
                raise InputError(f"'{archive.name}' holds no notes.", hint=f"Notes are: {', '.join(ALLOWED)}.")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            if vault:
                (target / VAULT_MARK).mkdir()
            for info, parts in keep:
                out = target.joinpath(*parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile as err:
        raise InputError(f"'{archive.name}' is not a readable .zip file.") from err
    return target


def docs_frame(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{"document": r.doc, "chunks": r.chunks, "questions": r.questions} for r in rows],
                        columns=["document", "chunks", "questions"])


class LibraryTab:
    def __init__(self, backend: Backend, max_bytes: int = MAX_BYTES) -> None:
        self.backend = backend
        self.max_bytes = max_bytes

    def documents(self) -> tuple[Any, ...]:
        rows = self.backend.documents()
        return docs_frame(rows), f"{len(rows)} documents, {sum(r.chunks for r in rows)} chunks."

    def stage(self, files: list[str]) -> list[Path]:
        """Validate every upload first (all or nothing), then copy them into the upload folder."""
        if not files:
            raise InputError("Choose one or more files to upload first.")
        if len(files) > MAX_FILES:
            raise InputError(f"{len(files)} files at once; the limit is {MAX_FILES}.")
        sources = [Path(f) for f in files]
        for src in sources:
            check_upload(src.name, src.stat().st_size, self.max_bytes)
        target = self.backend.upload_dir()
        target.mkdir(parents=True, exist_ok=True)
        return [unpack_notes(src, target / safe_name(src.stem), self.max_bytes) if src.suffix.lower() == ARCHIVE
                else Path(shutil.copyfile(src, target / safe_name(src.name))) for src in sources]

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:
        staged = self.stage(list(files or []))
        summary = self.backend.ingest(staged, lambda s, d, t: progress((d, t) if t else None, desc=s))
        return (*self.documents()[:1], f"Uploaded {', '.join(p.name for p in staged)}. {summary}")

    def reingest(self, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:
        summary = self.backend.ingest([], lambda s, d, t: progress((d, t) if t else None, desc=s))
        return (*self.documents()[:1], summary)

    def build(self, tab: gr.Tab) -> None:
        """Lays out the tab; the document list refreshes whenever the user opens it."""
        table = gr.Dataframe(label="Documents", interactive=False, elem_id="library-docs")
        files = gr.File(label=f"Upload notes ({', '.join(ALLOWED)}, or a {ARCHIVE} of a notes folder or an Obsidian "
                              f"vault; up to {self.max_bytes / 1_000_000:g} MB each)",
                        file_count="multiple", file_types=[*ALLOWED, ARCHIVE], type="filepath")
        with gr.Row():
            refresh = gr.Button("Refresh", elem_id="library-refresh")
            upload = gr.Button("Upload and ingest", variant="primary", elem_id="library-upload")
            reingest = gr.Button("Re-ingest everything", elem_id="library-reingest")
        status = gr.Markdown(elem_id="library-status")
        refresh.click(guarded(2)(self.documents), None, [table, status], api_name="documents")
        tab.select(guarded(2)(self.documents), None, [table, status], api_visibility="private")
        upload.click(guarded(2)(self.upload), [files], [table, status], api_name="upload",
                     concurrency_limit=1, concurrency_id="ingest")
        reingest.click(guarded(2)(self.reingest), None, [table, status], api_name="reingest",
                       concurrency_limit=1, concurrency_id="ingest")
