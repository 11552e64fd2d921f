"""Entry point of parsing: file -> ParsedDocument (normalised text, chunks, question-bank items).

    parse_document(Path("corpus/llm-interview-master-guide.txt")).items[0].question
    -> 'Explain self-attention mechanism'

Questions are recognised in four shapes: 'Q:' lines whose answer runs to the next 'Q:',
'Q: …¶' / 'Вопрос: …¶' headings (the section is the answer; two quoted paragraphs make it an
interview item with a weak and a strong answer), ТОП-N bullet lists (question bullet + answer
bullets) and rubric tuples in notebook exports. Pure apart from the readers.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from ingest import notebook
from ingest.chunking import Context, Unit, pack_blocks, unit_chunks
from ingest.ids import bank_id, chunk_id, parse_level, resolve_topic, strip_number
from ingest.readers import MAX_BYTES, SUFFIXES, read_source, vault_notes, vault_root
from ingest.structure import (
    ANSWER_RE,
    QUESTION_RANK,
    QUESTION_RE,
    Section,
    blocks,
    is_noise,
    outline,
    split_lines,
)
from tutor.core.errors import DocumentError
from tutor.core.types import BankItem, Chunk, Level
from tutor.text.labels import MISCONCEPTION
from tutor.text.language import detect_lang

_TOP_LIST = re.compile(r"\b(топ|top)[- ]?\d+", re.IGNORECASE)
_META = re.compile(r"^(содержание|contents|sources|источники|типичные заблуждения|распространенные заблуждения|"
                   r"интервью)", re.IGNORECASE)
_QUOTED = re.compile(r'^["«“](?!"").{8,}["»”]$')
_LEVEL_PREFIX = re.compile(r"^(basic|medium|killer)\s*[—–-]\s*", re.IGNORECASE)


class ParsedDocument(BaseModel):
    doc: str
    text: str
    sha256: str
    chunks: list[Chunk]
    items: list[BankItem]


def clean_question(line: str) -> str:
    """'Q: Killer — Should I…?¶' -> 'Should I…?'."""
    q = QUESTION_RE.sub("", line.strip(), count=1).rstrip("¶").strip()
    return _LEVEL_PREFIX.sub("", q)


def _answer(text: str) -> str:
    return ANSWER_RE.sub("", text.strip(), count=1).strip()


class _Builder:
    """Collects chunks and items of one document while sections are walked."""

    def __init__(self, doc: str, text: str) -> None:
        self.doc, self.text = doc, text
        self.chunks: list[Chunk] = []
        self.items: list[BankItem] = []
        self._seen: set[str] = set()       # chunk ids given so far
        self._repeats: dict[str, int] = {}  # first id of a repeated text -> last suffix used

    def context(self, sec_path: list[str], level: Level | None, hint: str = "") -> Context:
        head = sec_path[0] if sec_path else ""
        fallback = strip_number(head) if head and not _META.match(head) else "General"
        candidates = [head, hint, *reversed(sec_path[1:])]
        return Context(self.doc, sec_path, resolve_topic(candidates, fallback), level)

    def add(self, unit: Unit, ctx: Context) -> list[str]:
        """Chunk ``unit``; a text seen before in this document gets the next free '#n' id (linear:
        the n-th repeat starts from the last suffix used, not from 1)."""
        new = unit_chunks(self.text, unit, ctx)
        for c in new:
            base = c.chunk_id
            n = self._repeats.get(base, 1)
            while c.chunk_id in self._seen:
                n += 1
                c.chunk_id = chunk_id(self.doc, c.kind, f"{c.text}\x1f#{n}")
            if n > 1:
                self._repeats[base] = n
            self._seen.add(c.chunk_id)
        self.chunks.extend(new)
        return [c.chunk_id for c in new]

    def question(self, unit: Unit, ctx: Context, answer: str, **extra: object) -> None:
        unit.question_id = bank_id(unit.question, ctx.topic)
        ids = self.add(unit, ctx)
        lang = "ru" if detect_lang(unit.question) == "ru" else detect_lang(f"{unit.question} {answer}")
        item = BankItem(id=unit.question_id, topic=ctx.topic, level=ctx.level, question=unit.question,
                        reference_answer=answer, lang=lang, docs=[self.doc], source_chunk_ids=ids)
        self.items.append(item.model_copy(update=extra))


def _trimmed_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over trailing whitespace and noise lines (changelog, reading time)."""
    while True:
        while end > start and text[end - 1].isspace():
            end -= 1
        line_start = text.rfind("\n", start, end) + 1
        if line_start <= start or not is_noise(text[line_start:end]):
            return end
        end = line_start


def _question_section(b: _Builder, sec: Section) -> None:
    assert sec.heading is not None
    question = clean_question(sec.heading.title)
    level = sec.level or parse_level(QUESTION_RE.sub("", sec.heading.title))
    ctx = b.context(sec.path[:-1], level, question)
    end = _trimmed_end(b.text, sec.start, sec.end)
    first = [ln.text.strip() for ln in split_lines(b.text, sec.body_start, end) if ln.text.strip()][:2]
    quoted = [q for q in first if _QUOTED.match(q)]
    if len(quoted) == 2:
        weak, strong = (q.strip("\"«»“” ") for q in quoted[:2])
        rendered = f"Вопрос: {question}\nСлабый ответ: «{weak}»\nСильный ответ: «{strong}»"
        unit = Unit("interview", sec.start, end, question, rendered=rendered)
        b.question(unit, ctx, strong, weak_answer=weak, strong_answer=strong)
        return
    b.question(Unit("qa", sec.start, end, question), ctx, _answer(b.text[sec.body_start:end]))


def _bullet_items(b: _Builder, sec: Section) -> list[tuple[int, int, str, bool]]:
    """(start, end, text, inline) per bullet; '-' alone on a line opens a bullet on the next line."""
    items: list[tuple[int, int, str, bool]] = []
    pending = False
    for ln in split_lines(b.text, sec.body_start, sec.end):
        s = ln.text.strip()
        if not s:
            continue
        if s == "-":
            pending = True
            continue
        if s.startswith("- ") and not pending:
            items.append((ln.start, ln.end, s[2:].strip(), True))
        elif pending or (items and items[-1][2].endswith(" -")):
            if items and items[-1][2].endswith(" -"):
                st, en, t, inl = items[-1]
                items[-1] = (st, en, t[:-2].strip(), inl)
            items.append((ln.start, ln.end, s, False))
        elif items:
            st, _, t, inl = items[-1]
            items[-1] = (st, ln.end, f"{t} {s}", inl)
        pending = False
    return items


def _top_list(b: _Builder, sec: Section) -> None:
    """Flattened ТОП-N list: a bullet is a question if it is the first one, or if it stands on its
    own line ('-' then text) and the next bullet is inline ('- text')."""
    items = _bullet_items(b, sec)
    starts = [i for i, it in enumerate(items) if i == 0 or (not it[3] and i + 1 < len(items) and items[i + 1][3])]
    for k, i in enumerate(starts):
        answers = items[i + 1:starts[k + 1] if k + 1 < len(starts) else len(items)]
        question = items[i][2]
        ctx = b.context(sec.path, sec.level, question)
        end = answers[-1][1] if answers else items[i][1]
        points = [a[2] for a in answers]
        b.question(Unit("qa", items[i][0], end, question), ctx, "\n".join(points), key_points=points)


def _prose(b: _Builder, sec: Section, start: int, end: int) -> None:
    lines = split_lines(b.text, start, end)
    starts = [ln.start for ln in lines if MISCONCEPTION.match(ln.text)]
    if starts:
        if b.text[start:starts[0]].strip():
            _prose(b, sec, start, starts[0])
        for i, s in enumerate(starts):
            e = _trimmed_end(b.text, s, starts[i + 1] if i + 1 < len(starts) else end)
            first = b.text[s:b.text.find("\n", s, e) if "\n" in b.text[s:e] else e]
            b.add(Unit("section", s, e), b.context(sec.path, sec.level, first))
        return
    for unit in pack_blocks(b.text, blocks(b.text, start, end)):
        # Without headings (plain text, PDF, a preamble) the body itself names the topic.
        hint = "" if sec.heading else b.text[unit.start:min(unit.end, unit.start + 300)]
        b.add(unit, b.context(sec.path, sec.level, hint))


def _inline_questions(b: _Builder, sec: Section) -> None:
    lines = split_lines(b.text, sec.body_start, sec.end)
    q_starts = [ln for ln in lines if QUESTION_RE.match(ln.text)]
    if not q_starts:
        _prose(b, sec, sec.body_start, sec.end)
        return
    if b.text[sec.body_start:q_starts[0].start].strip():
        _prose(b, sec, sec.body_start, q_starts[0].start)
    for i, q in enumerate(q_starts):
        end = _trimmed_end(b.text, q.start, q_starts[i + 1].start if i + 1 < len(q_starts) else sec.end)
        question = clean_question(q.text)
        ctx = b.context(sec.path, sec.level, question)
        b.question(Unit("qa", q.start, end, question), ctx, _answer(b.text[q.end:end]))


def _rubric(b: _Builder) -> bool:
    """Rubric chunks/items of a notebook export; False if it holds none (then it is parsed as text)."""
    try:
        entries = notebook.rubric_entries(b.text, b.doc)
    except DocumentError:
        return False
    for ru, en in notebook.pair_entries(entries):
        ctx = b.context([], None, f"{ru.title} {ru.question}")
        question = f"{ru.title}: {ru.question}"
        qid = bank_id(question, ctx.topic)
        ids = []
        for entry in (ru, en):
            if entry is not None:
                unit = Unit("rubric", entry.start, entry.end, question, qid, notebook.render(entry))
                ids += b.add(unit, ctx)
        alt = [f"{en.title}: {en.question}"] if en else []
        answers = [e.answer for e in (ru, en) if e and e.answer]
        b.items.append(BankItem(
            id=qid, topic=ctx.topic, question=question, question_alt=alt,
            reference_answer="\n\n".join(answers), lang=ru.lang, docs=[b.doc], source_chunk_ids=ids,
            key_points=ru.key_points + (en.key_points if en else []),
            red_flags=ru.red_flags + (en.red_flags if en else [])))
    return bool(entries)


def parse_text(doc: str, text: str, sha256: str = "", fmt: str = "text") -> ParsedDocument:
    """Parse already-normalised text (``fmt`` as returned by the readers)."""
    b = _Builder(doc, text)
    if not (fmt == "text" and notebook.is_notebook_export(text) and _rubric(b)):
        for sec in outline(text, "markdown" if fmt in ("markdown", "ipynb") else None):
            if sec.heading and sec.heading.rank == QUESTION_RANK:
                _question_section(b, sec)
            elif any(_TOP_LIST.search(p) for p in sec.path):
                _top_list(b, sec)
            else:
                _inline_questions(b, sec)
    return ParsedDocument(doc=doc, text=text, sha256=sha256, chunks=b.chunks, items=b.items)


def parse_document(path: Path, max_bytes: int = MAX_BYTES, *, backlinks: list[str] | None = None) -> ParsedDocument:
    """Read and parse one file; raises DocumentError if it cannot be read or yields nothing.
    ``backlinks``: the file is a note of an Obsidian vault (ingest.readers.read_source)."""
    src = read_source(path, max_bytes, backlinks=backlinks)
    parsed = parse_text(path.name, src.text, src.sha256, src.fmt)
    if not parsed.chunks:
        raise DocumentError(f"{path.name} has no usable text after parsing.", path=str(path))
    return parsed


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path], dict[Path, list[str]]]:
    """(files to read, files of an unsupported type found in folders, the backlinks of every
    Obsidian vault note by resolved path). Directories expand (recursively, sorted); hidden files
    are skipped; a file named twice is read once. A file named directly is always read, so an
    unsupported one gets its own error. A Markdown file inside a vault (the nearest folder holding
    ``.obsidian/``, also one nested below a scanned folder, e.g. an uploaded vault) is a vault note:
    a vault's notes are the ones its reader accepts."""
    out: list[Path] = []
    unsupported: list[Path] = []
    vaults: dict[Path, dict[Path, list[str]]] = {}
    roots: dict[Path, Path | None] = {}

    def notes_of(md: Path) -> dict[Path, list[str]] | None:
        """The vault notes of the vault ``md`` is in (read once per vault), None outside a vault."""
        folder = md.parent
        if folder not in roots:
            roots[folder] = vault_root(folder)  # the folder it sits in, not where a link points
        root = roots[folder]
        if root is None:
            return None
        if root not in vaults:
            vaults[root] = vault_notes(root)
        return vaults[root]

    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                notes = notes_of(f) if f.suffix.lower() == ".md" else None
                if notes is not None and f.resolve() not in notes:
                    continue  # the vault reader refused it (a hard link, a link out of the vault)
                (out if f.suffix.lower() in SUFFIXES else unsupported).append(f)
        else:
            if p.suffix.lower() == ".md":
                notes_of(p)
            out.append(p)
    unique: dict[Path, Path] = {}
    for p in out:  # the same file named twice (a file and its folder) is parsed once
        unique.setdefault(p.resolve(), p)
    backlinks = {k: v for notes in vaults.values() for k, v in notes.items()}
    return list(unique.values()), unsupported, backlinks


def skipped(unsupported: list[Path]) -> list[DocumentError]:
    """One error per unsupported type found in folders: '2 .docx files not ingested (a.docx, b.docx)'."""
    by_suffix: dict[str, list[Path]] = {}
    for f in unsupported:
        by_suffix.setdefault(f.suffix.lower() or "(no extension)", []).append(f)
    out = []
    for suffix, files in sorted(by_suffix.items()):
        names = ", ".join(f.name for f in files[:5]) + (", …" if len(files) > 5 else "")
        what = f"{len(files)} {suffix} file{'s' if len(files) > 1 else ''}"
        out.append(DocumentError(f"{what} not ingested: unsupported type ({names}).", path="",
                                 hint=f"Supported: {', '.join(sorted(SUFFIXES))}. Export the notes to one of these."))
    return out


def parse_paths(paths: list[Path], max_bytes: int = MAX_BYTES, *,
                progress: bool = False) -> tuple[list[ParsedDocument], list[DocumentError]]:
    """Parse every file (a bar in MB with the time left when ``progress``); a failing file, and each
    unsupported type found in a folder, becomes a DocumentError in the second list."""
    from tqdm import tqdm

    docs: list[ParsedDocument] = []
    files, unsupported, backlinks = expand_paths(paths)
    errors: list[DocumentError] = skipped(unsupported)
    sizes = [f.stat().st_size if f.is_file() else 0 for f in files]
    with tqdm(total=sum(sizes) / 1e6, desc="parsing", unit="MB", bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} MB "
              "[{elapsed}<{remaining}]", delay=1.0, disable=not progress) as bar:  # delay: a quick no-op run prints nothing
        for path, size in zip(files, sizes, strict=True):
            try:
                docs.append(parse_document(path, max_bytes, backlinks=backlinks.get(path.resolve())))
            except DocumentError as err:
                errors.append(err)
            bar.update(size / 1e6)
    return docs, errors
