"""Deterministic checks on a candidate's answer. Pure functions, no heavy imports.

Long answers are truncated, a bare list of terms is recognised; sentence splitting for the grader.
"""

from __future__ import annotations

import re

from tutor.grading.thresholds import GRADING


def truncate(answer: str, max_chars: int) -> tuple[str, bool]:
    """Cut at the last whitespace before ``max_chars``. -> (text, was_truncated)."""
    if len(answer) <= max_chars:
        return answer, False
    cut = answer[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars * 0.8 else cut).rstrip(), True


_LIST_SPLIT = re.compile(r"[,;\n/|•]+|\s+[-–—]\s+")


def is_term_list(text: str) -> bool:
    """A bare list of terms, no statement: every comma / line separated item has at most
    ``term_list_max_words`` words and there are at least three items.
    'KV cache, GQA, n_kv_heads, HBM' -> True; 'GQA делит K/V-головы между группами Q' -> False."""
    items = [i.strip(" .:!?()") for i in _LIST_SPLIT.split(text) if i.strip(" .:!?()")]
    return len(items) >= 3 and all(len(i.split()) <= GRADING.term_list_max_words for i in items)
