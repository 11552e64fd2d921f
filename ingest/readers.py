"""Read one file into normalised text: .txt / .md (UTF-8, cp1251 fallback), .pdf (PDFium),
.ipynb (markdown cells as-is, code cells as ```python fences), and through llama-index's file
readers (``llama-index-readers-file``) .docx (``DocxReader``) and .epub (``EpubReader``, chapters as
Markdown); .html is converted to Markdown with html2text, the converter ``EpubReader`` uses, so its
headings reach the structure parser (``HTMLTagReader`` flattens them). A folder holding ``.obsidian/``
is an Obsidian vault: ``ObsidianReader`` (``llama-index-readers-obsidian``) walks it (hidden folders,
hard links and files outside the vault skipped) and gives each note's backlinks; the note's own
Markdown goes to the structure parser with its wiki-links as words ('[[GQA|grouped-query attention]]'
-> 'grouped-query attention (GQA)') and a closing 'Linked from: …' line. Anything unreadable raises
DocumentError with the path and a sentence saying why; nothing is guessed silently.

Offsets used downstream point into ``Source.text`` (newlines normalised to '\\n', Unicode NFC).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tutor.core.errors import DocumentError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
READER_SUFFIXES = {".docx", ".epub", ".html", ".htm"}
SUFFIXES = TEXT_SUFFIXES | {".pdf", ".ipynb"} | READER_SUFFIXES
# The largest document ingest reads, CLI and web app alike; settings.max_document_mb overrides it.
MAX_BYTES = 50_000_000
SIZE_SETTING = "max_document_mb (env TUTOR_MAX_DOCUMENT_MB)"


def size_error(name: str, size: int, max_bytes: int) -> str:
    """'notes.md is 63.2 MB; the limit is 50 MB (setting max_document_mb …).'"""
    return (f"{name} is {size / 1_000_000:.1f} MB; the limit is {max_bytes / 1_000_000:g} MB "
            f"(setting {SIZE_SETTING}).")


@dataclass(frozen=True)
class Source:
    path: Path
    text: str
    sha256: str
    fmt: str  # 'text' | 'markdown' | 'pdf' | 'ipynb' | 'docx' | 'epub' | 'html'


def normalise(text: str) -> str:
    """'a\\r\\nb\\u00a0' -> 'a\\nb ' (newlines, NFC, no NUL, non-breaking spaces as spaces)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ")


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise DocumentError(f"{path.name} looks like a binary file, not text.", path=str(path),
                            hint="Save it as UTF-8 text, Markdown, PDF or .ipynb.")
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{path.name} is not UTF-8 (or cp1251) text.", path=str(path))  # pragma: no cover


def _pdf_text(path: Path) -> str:
    """Page texts through PDFium (``pypdfium2``): ~20x faster than pypdf on the same pages
    (bench/parse.py: 0.1 s vs 2.2 s for a 40-page, 140 KB-text PDF), same text."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise DocumentError(f"{path.name} is an encrypted PDF.", path=str(path),
                                hint="Remove the password and ingest it again.") from err
        raise DocumentError(f"{path.name} is not a readable PDF ({err}).", path=str(path)) from err
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
    except pdfium.PdfiumError as err:
        raise DocumentError(f"{path.name} is not a readable PDF ({err}).", path=str(path)) from err
    finally:
        pdf.close()
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise DocumentError(f"{path.name} has no extractable text (a scanned PDF?).", path=str(path),
                            hint="Run OCR on it first or export the notes as text.")
    return text


def _ipynb_text(raw: bytes, path: Path) -> str:
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
        cells = nb["cells"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise DocumentError(f"{path.name} is not a valid Jupyter notebook ({err}).", path=str(path)) from err
    parts = []
    for cell in cells:
        src = cell.get("source", "") if isinstance(cell, dict) else ""
        body = "".join(src) if isinstance(src, list) else str(src)
        if not body.strip():
            continue
        parts.append(f"```python\n{body.rstrip()}\n```" if cell.get("cell_type") == "code" else body.strip())
    return "\n\n".join(parts)


def _reader_text(path: Path, raw: bytes) -> str:
    """.docx / .epub through llama-index's readers, .html through html2text (Markdown headings)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".html", ".htm"):
            import html2text

            conv = html2text.HTML2Text()
            conv.body_width = 0  # no hard wraps: one paragraph stays one line
            conv.ignore_images = True
            return str(conv.handle(_decode(raw, path)))
        from llama_index.readers.file import DocxReader, EpubReader

        reader = DocxReader() if suffix == ".docx" else EpubReader()
        return "\n\n".join(d.text for d in reader.load_data(path))
    except ImportError as err:  # pragma: no cover - the project depends on them
        raise DocumentError(f"{path.name}: reading {suffix} files needs {err.name}.", path=str(path),
                            hint="Reinstall the project (`make run` does it).") from err
    except DocumentError:
        raise
    except Exception as err:  # zip, XML and ebook errors have no common base  # noqa: BLE001
        raise DocumentError(f"{path.name} is not a readable {suffix[1:].upper()} file ({type(err).__name__}: "
                            f"{err}).", path=str(path), hint="Open and save it again, or export it as .md.") from err


VAULT_MARK = ".obsidian"
_WIKILINK = re.compile(r"(!?)\[\[([^\]|#]*)(?:#([^\]|]*))?(?:\|([^\]]*))?\]\]")


def vault_root(path: Path) -> Path | None:
    """The Obsidian vault ``path`` is in (the nearest folder holding ``.obsidian/``), else None."""
    folder = path.resolve() if path.is_dir() else path.resolve().parent
    return next((d for d in (folder, *folder.parents) if (d / VAULT_MARK).is_dir()), None)


def render_wikilinks(text: str) -> str:
    """Obsidian links as the words they stand for: '[[GQA|grouped-query attention]]' ->
    'grouped-query attention (GQA)', '[[KV#Память]]' -> 'KV › Память', '![[chart.png]]' -> ''."""
    def one(m: re.Match[str]) -> str:
        embed, target, heading, alias = m.group(1), (m.group(2) or "").strip(), m.group(3), m.group(4)
        if embed:
            return ""
        name = " › ".join(x for x in (target, (heading or "").strip()) if x)
        return f"{alias.strip()} ({name})" if alias and alias.strip() != name else name
    return _WIKILINK.sub(one, text)


def vault_notes(root: Path) -> dict[Path, list[str]]:
    """Each Markdown note of the vault at ``root`` -> the notes linking to it, from the wiki-links
    ``ObsidianReader`` finds (a link to a heading, '[[Note#Part]]', counts for the note)."""
    from llama_index.readers.obsidian import ObsidianReader

    notes: dict[Path, str] = {}
    linked_from: dict[str, set[str]] = {}
    with contextlib.redirect_stdout(sys.stderr):  # the reader print()s its skip warnings
        docs = ObsidianReader(str(root)).load_data()
    for d in docs:
        name = d.metadata["note_name"]
        notes[(Path(d.metadata["folder_path"]) / d.metadata["file_name"]).resolve()] = name
        for target in d.metadata.get("wikilinks") or []:
            linked_from.setdefault(target.split("#")[0].strip(), set()).add(name)
    return {path: sorted(linked_from.get(name, set()) - {name}) for path, name in sorted(notes.items())}


def read_source(path: Path, max_bytes: int = MAX_BYTES, *, backlinks: list[str] | None = None) -> Source:
    """Read ``path``; raises DocumentError for a missing, empty, oversized or unreadable file.
    ``backlinks`` (not None): ``path`` is a note of an Obsidian vault, linked from these notes."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"{path.name}: unsupported file type '{suffix or 'none'}'.", path=str(path),
                            hint=f"Supported: {', '.join(sorted(SUFFIXES))}.")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DocumentError(f"Cannot read {path}: {err.strerror or err}.", path=str(path)) from err
    if len(raw) > max_bytes:
        raise DocumentError(size_error(path.name, len(raw), max_bytes), path=str(path),
                            hint="Split the notes into smaller files or raise the limit.")
    if not raw.strip():
        raise DocumentError(f"{path.name} is empty.", path=str(path))
    if suffix == ".pdf":
        text, fmt = _pdf_text(path), "pdf"
    elif suffix == ".ipynb":
        text, fmt = _ipynb_text(raw, path), "ipynb"
    elif suffix in READER_SUFFIXES:
        text, fmt = _reader_text(path, raw), "html" if suffix == ".htm" else suffix[1:]
    else:
        text, fmt = _decode(raw, path), "markdown" if suffix in {".md", ".markdown"} else "text"
    if backlinks is not None:
        text = render_wikilinks(text).rstrip() + (f"\n\nLinked from: {', '.join(backlinks)}." if backlinks else "")
    text = normalise(text)
    if not text.strip():
        raise DocumentError(f"{path.name} contains no text.", path=str(path))
    return Source(path, text, hashlib.sha256(raw).hexdigest(), fmt)
