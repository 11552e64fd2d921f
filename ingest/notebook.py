"""Rubric items from a notebook export ('In [4]:' cells holding Python data), read with ``ast``.

The code is never executed: each cell is parsed, every module-level ``name = [...]`` list is
walked and its elements are turned into values with ``ast.literal_eval`` one by one, so a broken
element is skipped without losing the others. Two shapes are understood:
- ``(title, [(label, text), ...])`` with labels like 'Вопрос' / 'Question', 'Red flags';
- ``(title, question, key_points, answer, red_flags)`` positional tuples (missing tail allowed).
Pure: no heavy imports.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from tutor.core.errors import DocumentError
from tutor.core.types import Lang
from tutor.text.labels import RED_FLAGS_HEADING
from tutor.text.language import detect_lang

CELL_RE = re.compile(r"^In \[[^\]\n]*\]:[ \t]*$", re.MULTILINE)
_LABELS = {
    "question": re.compile(r"^(вопрос|question)$", re.IGNORECASE),
    "key_points": re.compile(r"(профи|pro should cover|key points|ключевые)", re.IGNORECASE),
    "answer": re.compile(r"(развернутый ответ|развёрнутый ответ|expanded answer|answer|ответ)", re.IGNORECASE),
    "red_flags": re.compile(r"red flags|красные флаги", re.IGNORECASE),
}
_POSITIONAL = ("question", "key_points", "answer", "red_flags")


@dataclass
class RubricEntry:
    number: int
    title: str  # '2) PagedAttention (vLLM)' without the number
    lang: Lang
    question: str = ""
    key_points: list[str] = field(default_factory=list)
    answer: str = ""
    red_flags: list[str] = field(default_factory=list)
    start: int = 0  # offsets of the tuple's source text
    end: int = 0


def is_notebook_export(text: str) -> bool:
    return bool(CELL_RE.search(text))


def code_cells(text: str) -> list[tuple[int, str]]:
    """(offset, code) for every 'In [n]:' cell; a cell runs to the next cell marker."""
    marks = list(CELL_RE.finditer(text))
    cells = []
    for i, m in enumerate(marks):
        start = m.end() + 1
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        cells.append((min(start, end), text[start:end]))
    return cells


def bullets(text: str) -> list[str]:
    """'• a\\n• b' -> ['a', 'b']; a text without bullets -> [text]."""
    parts = [re.sub(r"^\s*[•\-*]\s*", "", ln).strip() for ln in text.split("\n")]
    return [p for p in parts if p]


def _offset(code: str, base: int, lineno: int, col_bytes: int) -> int:
    lines = code.split("\n")
    prefix = sum(len(ln) + 1 for ln in lines[:lineno - 1])
    col = len(lines[lineno - 1].encode("utf-8")[:col_bytes].decode("utf-8", "ignore"))
    return base + prefix + col


def _entry(value: object, lang_hint: str) -> RubricEntry | None:
    if not (isinstance(value, tuple) and value and isinstance(value[0], str)):
        return None
    m = re.match(r"^\s*(\d+)[.)]\s*(.*)$", value[0])
    if not m:
        return None
    fields: dict[str, str] = {}
    if len(value) == 2 and isinstance(value[1], list):
        for pair in value[1]:
            if isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
                key = next((k for k, rx in _LABELS.items() if rx.search(pair[0])), "")
                if key and key not in fields:
                    fields[key] = pair[1]
    else:
        fields = {k: v for k, v in zip(_POSITIONAL, value[1:], strict=False) if isinstance(v, str)}
    if not fields.get("question"):
        return None
    sample = fields.get("question", "") + fields.get("answer", "")
    lang: Lang = "en" if lang_hint == "en" else "ru" if lang_hint == "ru" else detect_lang(sample)
    return RubricEntry(int(m.group(1)), m.group(2).strip(), lang, fields["question"].strip(),
                       bullets(fields.get("key_points", "")), fields.get("answer", "").strip(),
                       bullets(fields.get("red_flags", "")))


def _lang_hint(name: str) -> str:
    m = re.match(r"^(ru|en)(_|$)", name.lower())
    return m.group(1) if m else ""


def rubric_entries(text: str, path: str = "") -> list[RubricEntry]:
    """Every rubric entry in the export's code cells, in document order."""
    entries: list[RubricEntry] = []
    broken: list[SyntaxError] = []
    for base, code in code_cells(text):
        try:
            tree = ast.parse(code)
        except SyntaxError as err:
            broken.append(err)
            continue
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)):
                continue
            target = node.targets[0]
            hint = _lang_hint(target.id) if isinstance(target, ast.Name) else ""
            for elt in node.value.elts:
                try:
                    entry = _entry(ast.literal_eval(elt), hint)
                except (ValueError, SyntaxError, TypeError):
                    continue
                if entry and elt.end_lineno is not None and elt.end_col_offset is not None:
                    entry.start = _offset(code, base, elt.lineno, elt.col_offset)
                    entry.end = _offset(code, base, elt.end_lineno, elt.end_col_offset)
                    entries.append(entry)
    if broken and not entries:
        raise DocumentError(f"{path or 'The notebook export'}: no cell is valid Python (first error at line "
                            f"{broken[0].lineno} of its cell), so no rubric items could be read.", path=path)
    return entries


def pair_entries(entries: list[RubricEntry]) -> list[tuple[RubricEntry, RubricEntry | None]]:
    """Pair each Russian entry with the English entry of the same number (order kept).
    English entries without a Russian twin stand alone as (en, None)."""
    en = {e.number: e for e in entries if e.lang == "en"}
    pairs: list[tuple[RubricEntry, RubricEntry | None]] = []
    for e in entries:
        if e.lang == "ru":
            pairs.append((e, en.pop(e.number, None)))
    pairs.extend((e, None) for e in en.values())
    return pairs


def render(entry: RubricEntry) -> str:
    """Readable text of one entry for a source card."""
    ru = entry.lang == "ru"
    parts = [f"{'Вопрос' if ru else 'Question'}: {entry.title}: {entry.question}"]
    if entry.key_points:
        head = "Что должен затронуть профи" if ru else "What a pro should cover"
        parts.append(head + ":\n" + "\n".join(f"- {p}" for p in entry.key_points))
    if entry.answer:
        parts.append(f"{'Развернутый ответ' if ru else 'Expanded answer'}: {entry.answer}")
    if entry.red_flags:
        parts.append(RED_FLAGS_HEADING + "\n" + "\n".join(f"- {p}" for p in entry.red_flags))
    return "\n".join(parts)
