"""Markdown tables in text: the project's one reader of table lines (the notes part quotes whole
tables, rubrics from structure turn rows into 'header: value' statements). Pure."""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")


def is_rule(line: str) -> bool:
    """A table's rule line under its header: '|---|:--|' -> True; '| x | 1 |' -> False."""
    return _RULE.match(line) is not None


def is_row(line: str) -> bool:
    """A table row written with its leading pipe: '| x | 1 |' -> True; 'W = m · V/||V||' -> False."""
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 3
