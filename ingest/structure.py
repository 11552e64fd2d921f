"""Recover a document outline from normalised text: headings, sections and line blocks.

Two heading styles are understood:
- web-page exports, where every heading is a line ending in a pilcrow ('¶'); the depth is not
  in the text, so it is inferred (title, numbered/TOC sections, Basic/Medium/Killer levels,
  'Q: ...' / 'Вопрос: ...' question headings);
- Markdown '#' headings (outside ``` fences).

Pure: no heavy imports. All positions are character offsets into the text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.ids import parse_level
from tutor.core.types import Level

PILCROW = "¶"
QUESTION_RE = re.compile(r"^\s*(?:\*\*)?(Q|Вопрос|Question)\s*[:.]\s*(?:\*\*)?\s*", re.IGNORECASE)
ANSWER_RE = re.compile(r"^\s*(?:\*\*)?(A|Ответ|Answer)\s*[:.]\s*(?:\*\*)?\s*", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?:section\s+)?\d+[.:)]\s+\S", re.IGNORECASE)
_TOP_LEVEL_NAMES = re.compile(r"^(типичные заблуждения|распространенные заблуждения|интервью|sources|"
                              r"источники|содержание|contents)", re.IGNORECASE)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NOISE = re.compile(r"^\s*(~\s*\d+\s*минут[аы]?\s+чтения|style\s+\w+\s+fill:.*|linkStyle\s.*|classDef\s.*|"
                    r"Обновлено:\s*\d{4}-\d{2}-\d{2},.*iteration.*)\s*$", re.IGNORECASE)
_MERMAID_START = re.compile(r"^\s*(graph|flowchart)\s+(TD|TB|LR|RL|BT)\b|^\s*(sequenceDiagram|classDiagram)\s*$")
_MERMAID_LINE = re.compile(r"-->|---|==>|-\.->|^\s*\w+\s*[\[({]|^\s*(style|subgraph|end|linkStyle|classDef)\b")
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
LEVEL_RANK, QUESTION_RANK = 4, 5


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # exclusive, newline not included
    text: str


@dataclass(frozen=True)
class Heading:
    title: str  # pilcrow / '#' removed
    rank: int  # 1 = document title ... 5 = question heading
    start: int  # offset of the heading line
    end: int  # end of the heading line


@dataclass
class Section:
    """The text between one heading and the next. ``path`` excludes the document title."""

    path: list[str]
    heading: Heading | None
    body_start: int
    end: int
    level: Level | None = None

    @property
    def title(self) -> str:
        return self.heading.title if self.heading else ""

    @property
    def start(self) -> int:
        return self.heading.start if self.heading else self.body_start


@dataclass(frozen=True)
class Block:
    kind: str  # 'text' | 'table' | 'code' | 'mermaid'
    start: int
    end: int


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """Lines of ``text[start:end]`` with absolute offsets. 'a\\nb' -> [Line(0,1,'a'), Line(2,3,'b')]."""
    end = len(text) if end is None else end
    lines, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        lines.append(Line(pos, stop, text[pos:stop]))
        pos = stop + 1
    return lines


def is_noise(line: str) -> bool:
    """Reading-time banners, mermaid styling and changelog lines carry no content."""
    return bool(_NOISE.match(line))


def detect_style(text: str) -> str:
    """'pilcrow' if headings end in '¶', 'markdown' if it has '#' headings, else 'plain'."""
    lines = text.splitlines()
    if sum(1 for ln in lines if ln.rstrip().endswith(PILCROW)) >= 1:
        return "pilcrow"
    if any(_MD_HEADING.match(ln) for ln in lines):
        return "markdown"
    return "plain"


def _toc_titles(text: str) -> set[str]:
    """Entries of a 'Содержание¶' / 'Contents' bullet list (the doc's top-level sections)."""
    m = re.search(r"^(?:Содержание|Contents)\s*¶?\s*\n((?:\s*[-*]\s+.+\n)+)", text, re.MULTILINE | re.IGNORECASE)
    if not m:
        return set()
    return {re.sub(r"^\s*[-*]\s+", "", ln).strip() for ln in m.group(1).splitlines() if ln.strip()}


def pilcrow_rank(title: str, first: bool, toc: set[str]) -> int:
    """Depth of a pilcrow heading: 1 title, 2 section, 3 subsection, 4 level, 5 question."""
    if first:
        return 1
    if QUESTION_RE.match(title):
        return QUESTION_RANK
    if parse_level(title) and len(title.split()) == 1:
        return LEVEL_RANK
    if _NUMBERED.match(title) or title in toc or _TOP_LEVEL_NAMES.match(title):
        return 2
    return 3


def find_headings(text: str, style: str) -> list[Heading]:
    headings: list[Heading] = []
    toc = _toc_titles(text) if style == "pilcrow" else set()
    in_fence = False
    for line in split_lines(text):
        stripped = line.text.strip()
        first = not headings
        if style == "markdown":
            if stripped.startswith("```"):
                in_fence = not in_fence
            m = None if in_fence else _MD_HEADING.match(stripped)
            if m:
                title = m.group(2).strip()
                rank = QUESTION_RANK if QUESTION_RE.match(title) else len(m.group(1))
                headings.append(Heading(title, rank, line.start, line.end))
        elif style == "pilcrow" and stripped.endswith(PILCROW):
            title = stripped[:-1].strip()
            rank = pilcrow_rank(title, first=first, toc=toc)
            headings.append(Heading(title, rank, line.start, line.end))
    return headings


def outline(text: str, style: str | None = None) -> list[Section]:
    """Flat list of sections in document order (a preamble section first if text precedes the
    first heading). Each section knows its heading path and the level inherited from it."""
    style = style or detect_style(text)
    headings = find_headings(text, style)
    top = min((h.rank for h in headings), default=1)
    title_rank = top if headings and headings[0].rank == top and sum(h.rank == top for h in headings) == 1 else 0
    sections: list[Section] = []
    first_start = headings[0].start if headings else len(text)
    if text[:first_start].strip():
        sections.append(Section([], None, 0, first_start))
    stack: list[Heading] = []
    for i, h in enumerate(headings):
        while stack and stack[-1].rank >= h.rank:
            stack.pop()
        stack.append(h)
        path = [s.title for s in stack if s.rank != title_rank]
        level = next((parse_level(s.title) for s in reversed(stack) if parse_level(s.title)), None)
        end = headings[i + 1].start if i + 1 < len(headings) else len(text)
        body_start = min(h.end + 1, end)
        sections.append(Section(path, h, body_start, end, level))
    return sections


def _looks_like_mermaid_body(line: str) -> bool:
    return bool(_MERMAID_LINE.search(line)) and not line.strip().endswith(PILCROW)


def blocks(text: str, start: int, end: int) -> list[Block]:
    """Split ``text[start:end]`` into contiguous text / table / code / mermaid blocks.
    Noise lines and blank lines separate blocks and belong to none."""
    out: list[Block] = []
    kind, b_start, b_end = "", -1, -1
    in_fence = in_mermaid = False

    def flush() -> None:
        nonlocal kind, b_start
        if b_start >= 0 and text[b_start:b_end].strip():
            out.append(Block(kind, b_start, b_end))
        kind, b_start = "", -1

    for line in split_lines(text, start, end):
        s = line.text.strip()
        if s.startswith("```"):
            if not in_fence:
                flush()
            in_fence = not in_fence
            kind, b_start = ("code", b_start if b_start >= 0 else line.start)
            b_end = line.end
            if not in_fence:
                flush()
            continue
        if in_fence:
            b_end = line.end
            continue
        if in_mermaid and (not s or not _looks_like_mermaid_body(line.text) or is_noise(s)):
            in_mermaid = False
            flush()
        if not s or is_noise(s):
            flush()
            continue
        if _MERMAID_START.match(s):
            flush()
            in_mermaid = True
        this = "mermaid" if in_mermaid else "table" if _TABLE_LINE.match(s) else "text"
        if this != kind:
            flush()
            kind, b_start = this, line.start
        b_end = line.end
    flush()
    return out
