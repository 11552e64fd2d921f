"""Markdown structure lines in text: the project's one reader of table lines (the notes part quotes
whole tables, rubrics from structure turn rows into 'header: value' statements), list bullets
(rubric statements, the red flags under their label) and block quotes (an answer shows the notes as
a quote; a follow-up reads back what it showed). Pure."""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")
_QUOTE_MARK = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)


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


def quote(text: str) -> str:
    """Every line as a block quote (an empty line stays inside it): 'A\n\nB' -> '> A\n>\n> B'."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def unquote(text: str) -> str:
    """The text without its block-quote marks: '> A [1]\n>\n> B' -> 'A [1]\n\nB'."""
    return _QUOTE_MARK.sub("", text)
