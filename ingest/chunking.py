"""Turn structural units (a Q/A item, a section's blocks, a table, a rubric entry) into Chunks.

Rules: a chunk is a source card of a few hundred to ~1,000 characters; a Q/A item is never split
from its answer (a long answer continues in chunks whose header repeats the question); long prose
is split with overlap; a table is kept whole up to TABLE_MAX characters, else split by rows with
the header row repeated in the chunk header. ``chunk.text == header + source[start:end]`` for every
chunk except rendered ones (rubric / interview), whose start/end span the whole source item.

Pure apart from one lazy import of llama-index's SentenceSplitter for long prose (offsets are
verified; a line packer is the fallback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.ids import chunk_id
from ingest.structure import Block, split_lines
from tutor.core.types import Chunk, Kind, Level
from tutor.text.language import detect_lang

MAX_CHARS = 1600  # hard ceiling on chunk.text, header included
TARGET = 1000  # preferred body size when something has to be split
SINGLE_MAX = 1400  # a Q/A item up to this size (with header) stays one chunk
TABLE_MAX = 1500
OVERLAP = 150
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s+(?=\d+\.\s)|\s+-\s+")
_CODE_LINE = re.compile(r"^\s*(#\s|def\s|class\s|return\b|import\s|from\s\S+\s+import|if\s.*:$|for\s.*:$|"
                        r"while\s.*:$|else:|elif\s|try:|except\b|with\s.*:$|@\w|\w[\w.\[\]'\", ]*\s*[+\-*/]?=\s*\S)")


@dataclass
class Unit:
    """One structural piece of a document, before size limits are applied."""

    kind: Kind
    start: int
    end: int
    question: str = ""
    question_id: str = ""
    rendered: str = ""  # when set, the chunk shows this instead of the source span


@dataclass
class Context:
    doc: str
    path: list[str]
    topic: str
    level: Level | None


def header(ctx: Context, kind: Kind, question: str = "", continued: bool = False) -> str:
    """'Tokenization · Basic\\n'; section-like chunks add the section; continuations repeat the Q."""
    where = " > ".join(ctx.path[-2:]) if kind in ("section", "table", "code") else ""
    topic = "" if where and ctx.topic.lower() in where.lower() else ctx.topic
    head = " · ".join(x for x in (topic, ctx.level.capitalize() if ctx.level else "", where) if x)
    if continued and question:
        head += f"\nQ: {question} (продолжение)"
    return head + "\n"


def looks_like_code(body: str) -> bool:
    lines = [ln for ln in body.splitlines() if ln.strip()]
    return len(lines) >= 3 and sum(bool(_CODE_LINE.match(ln)) for ln in lines) >= 0.6 * len(lines)


def _cut_points(text: str, start: int, end: int) -> list[int]:
    """Candidate split offsets inside [start, end): line ends first, then sentence ends."""
    points = [ln.end for ln in split_lines(text, start, end)][:-1]
    points += [start + m.start() for m in _SENTENCE_END.finditer(text, start, end) if m.start() > 0]
    return sorted({p for p in points if start < p < end})


def split_span(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Split [start, end) into consecutive pieces of at most ``budget`` chars, cutting at line
    ends, else sentence ends, else spaces. Pieces are trimmed of surrounding whitespace."""
    pieces: list[tuple[int, int]] = []
    cuts = _cut_points(text, start, end)
    pos = start
    while end - pos > budget:
        fit = [c for c in cuts if pos < c <= pos + budget]
        lines = [c for c in fit if text[c:c + 1] == "\n" and c - pos >= budget // 2]
        cut = lines[-1] if lines else fit[-1] if fit else (text.rfind(" ", pos + 1, pos + budget) if
                                                           text.rfind(" ", pos + 1, pos + budget) > pos
                                                           else pos + budget)
        pieces.append((pos, cut))
        pos = cut
    pieces.append((pos, end))
    return [t for t in (_trim(text, s, e) for s, e in pieces) if t[1] > t[0]]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_prose(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Long prose with overlap via llama-index SentenceSplitter (chars as tokens); falls back to
    ``split_span`` if a node's offsets do not reproduce its text."""
    from llama_index.core import Document
    from llama_index.core.node_parser import SentenceSplitter

    span = text[start:end]
    splitter = SentenceSplitter(chunk_size=budget, chunk_overlap=OVERLAP, tokenizer=list,
                                paragraph_separator="\n")
    nodes = splitter.get_nodes_from_documents([Document(text=span)])
    out = []
    for node in nodes:
        s, e = getattr(node, "start_char_idx", None), getattr(node, "end_char_idx", None)
        if s is None or e is None or span[s:e] != node.get_content() or e - s > budget:
            return split_span(text, start, end, budget)
        out.append((start + s, start + e))
    return out


def split_table(text: str, start: int, end: int, budget: int) -> tuple[str, list[tuple[int, int]]]:
    """Rows of a long table in pieces under ``budget``; returns (header rows, row spans)."""
    lines = split_lines(text, start, end)
    n_head = 2 if len(lines) > 2 and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[1].text) else 1
    head = "\n".join(ln.text for ln in lines[:n_head])
    rows = lines[n_head:]
    pieces, cur = [], [rows[0]] if rows else []
    for row in rows[1:]:
        if row.end - cur[0].start > budget - len(head) - 1:
            pieces.append((cur[0].start, cur[-1].end))
            cur = []
        cur.append(row)
    if cur:
        pieces.append((cur[0].start, cur[-1].end))
    return head, pieces


def pack_blocks(text: str, blocks: list[Block]) -> list[Unit]:
    """Merge adjacent prose blocks up to TARGET; tables and code stand alone."""
    units: list[Unit] = []
    cur: Unit | None = None
    for b in blocks:
        kind: Kind = "table" if b.kind == "table" else "code" if b.kind == "code" else "section"
        if kind == "section" and looks_like_code(text[b.start:b.end]):
            kind = "code"
        adjacent = cur is not None and not text[cur.end:b.start].strip()
        if cur and adjacent and kind == cur.kind == "section" and b.end - cur.start <= TARGET:
            cur.end = b.end
            continue
        cur = Unit(kind, b.start, b.end)
        units.append(cur)
    return units


def _chunk(ctx: Context, kind: Kind, head: str, body: str, start: int, end: int, unit: Unit) -> Chunk:
    full = head + body
    return Chunk(chunk_id=chunk_id(ctx.doc, kind, full), doc=ctx.doc, text=full, heading_path=list(ctx.path),
                 section=" > ".join(ctx.path), topic=ctx.topic, level=ctx.level, kind=kind,
                 lang=detect_lang(body), start=start, end=end, question=unit.question,
                 question_id=unit.question_id)


def unit_chunks(text: str, unit: Unit, ctx: Context) -> list[Chunk]:
    """All chunks of one unit, each within MAX_CHARS."""
    head = header(ctx, unit.kind, unit.question)
    if unit.rendered:
        body, cont = unit.rendered, header(ctx, unit.kind, unit.question, continued=True)
        if len(head) + len(body) <= MAX_CHARS:
            return [_chunk(ctx, unit.kind, head, body, unit.start, unit.end, unit)]
        parts = split_span(body, 0, len(body), MAX_CHARS - len(cont))
        return [_chunk(ctx, unit.kind, head if i == 0 else cont, body[s:e], unit.start, unit.end, unit)
                for i, (s, e) in enumerate(parts)]
    size = len(head) + unit.end - unit.start
    if unit.kind == "table" and size > TABLE_MAX:
        rows_head, spans = split_table(text, unit.start, unit.end, MAX_CHARS - len(head))
        table_head = head + rows_head + "\n"
        return [_chunk(ctx, "table", table_head if i else head, text[s:e] if i else
                       text[unit.start:e], unit.start if i == 0 else s, e, unit) for i, (s, e) in enumerate(spans)]
    limit = SINGLE_MAX if unit.kind in ("qa", "interview", "table") else TARGET + OVERLAP
    if size <= limit:
        return [_chunk(ctx, unit.kind, head, text[unit.start:unit.end], unit.start, unit.end, unit)]
    if unit.kind in ("section",):
        spans = split_prose(text, unit.start, unit.end, min(TARGET, MAX_CHARS - len(head)))
        return [_chunk(ctx, unit.kind, head, text[s:e], s, e, unit) for s, e in spans]
    cont = header(ctx, unit.kind, unit.question, continued=True)
    spans = split_span(text, unit.start, unit.end, min(TARGET, MAX_CHARS - len(cont)))
    return [_chunk(ctx, unit.kind, head if i == 0 else cont, text[s:e], s, e, unit)
            for i, (s, e) in enumerate(spans)]
