"""Parsing is linear in the input for every layout: doubling the notes doubles the work.

Work is counted, not timed: the number of source lines the project's own code executes while
parsing (``sys.settrace`` line events in ingest/ and tutor/), so a busy machine cannot make it fail.
Before the fix, a document of many short sections rebuilt the set of every earlier chunk id for each
new one (issue 22): 400 -> 800 sections cost 2.6x the lines, 2,000 -> 8,000 sections 8.2x the time.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from evals.library import write_layout
from ingest.parse import parse_document
from tests.paths import REPO

ROOT = REPO
OURS = (str(ROOT / "ingest"), str(ROOT / "tutor"))
# Linear work doubles (2.0); a little fixed cost pulls the ratio below 2, a quadratic term above.
MAX_RATIO = 2.15


def executed_lines(path: Path) -> int:
    """Line events in the project's code while ``path`` is parsed."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(OURS) else None

    parse_document(path)  # warm caches (regex compilation, imports) outside the count
    sys.settrace(tracer)
    try:
        parse_document(path)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize(("layout", "n"), [("facts", 600), ("paragraphs", 150), ("markdown", 400), ("qa", 300),
                                           ("ipynb", 200), ("pdf", 240)])
def test_doubling_the_notes_doubles_the_work(tmp_path: Path, layout: str, n: int) -> None:
    small = executed_lines(write_layout(tmp_path / "a", layout, n))
    large = executed_lines(write_layout(tmp_path / "b", layout, 2 * n))  # the same n units, then n more
    assert small > 1000, "the count must see the parser's work"
    assert large / small <= MAX_RATIO, f"{layout}: {small} -> {large} lines ({large / small:.2f}x)"


def test_repeated_text_gets_distinct_ids_in_linear_work(tmp_path: Path) -> None:
    """The same paragraph pasted many times: every copy is kept under its own id."""
    path = tmp_path / "dup.md"
    block = "## Заметка\n\nKV cache хранит ключи и значения прошлых токенов, чтобы не пересчитывать их."
    path.write_text("\n\n".join([block] * 300), encoding="utf-8")
    doc = parse_document(path)
    assert len(doc.chunks) == 300 and len({c.chunk_id for c in doc.chunks}) == 300
    path2 = tmp_path / "dup2.md"
    path2.write_text("\n\n".join([block] * 600), encoding="utf-8")
    assert executed_lines(path2) / executed_lines(path) <= MAX_RATIO
