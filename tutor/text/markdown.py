"""Markdown structure lines in text: the project's one reader of table lines (the notes part quotes
whole tables, rubrics from structure turn rows into 'header: value' statements) and list bullets
(rubric statements, the red flags under their label). Pure."""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")


def is_rule(line: str) -> bool:
    """A table's rule line under its header: '|---|:--|' -> True; '| x | 1 |' -> False."""
    return _RULE.match(line) is not None


def is_row(line: str) -> bool:
    """A table row written with its leading pipe: '| x | 1 |' -> True; 'W = m · V/||V||' -> False."""
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 3


def is_bullet(line: str) -> bool:
    """A list item: '- a', '• a', '2) a' -> True; '-a', 'a - b' -> False."""
    return _BULLET.match(line) is not None


def unbullet(line: str) -> str:
    """The item without its bullet: '  - a b' -> 'a b'; '3. x' -> 'x'; 'plain' -> 'plain'."""
    return _BULLET.sub("", line)
