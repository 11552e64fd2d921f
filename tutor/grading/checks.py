"""Deterministic checks on a candidate's answer. Pure functions, no heavy imports.

Long answers are truncated, a bare list of terms is recognised; sentence splitting and language
detection for the grader.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w\-+.]+", re.UNICODE)

_STOP_WORDS = (
    "и в во на с со к ко по о об от до из за для что как это эта этот то а но или не ни же ли бы "
    "при про без над под у так также чем где когда который которая которые их его её ее они он она "
    "мы вы я ты есть быть был была были будет можно нужно очень the a an of to in on for and or is "
    "are be by with as at it this that from"
)
STOP = frozenset(_STOP_WORDS.split())


def normalize(text: str) -> str:
    """'Ёлка,  KV-cache!' -> 'елка kv-cache' (lower case, ё->е, punctuation to spaces, one space)."""
    t = text.lower().replace("ё", "е")
    t = re.sub(r"[«»\"'`“”„()\[\]{}:;,!?…]", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words and 1-char tokens, cut to a 6-char stem (crude, language-free)."""
    return {w[:6] for w in words(text) if w not in STOP and len(w) > 1}


def sentences(text: str) -> list[str]:
    """Split an answer into numbered-able sentences: 'A. B! C' -> ['A.', 'B!', 'C']."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p and p.strip()]




def truncate(answer: str, max_chars: int) -> tuple[str, bool]:
    """Cut at the last whitespace before ``max_chars``. -> (text, was_truncated)."""
    if len(answer) <= max_chars:
        return answer, False
    cut = answer[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars * 0.8 else cut).rstrip(), True


def detect_lang(text: str) -> str:
    """'ru' when the text has a fair share of Cyrillic letters (Russian notes are full of English
    terms and formulas), else 'en'. 'KV-cache хранит keys' -> 'ru'; 'The KV cache' -> 'en'."""
    cyr = len(re.findall(r"[а-яё]", text, re.IGNORECASE))
    lat = len(re.findall(r"[a-z]", text, re.IGNORECASE))
    return "ru" if cyr and (cyr * 4 >= lat or cyr >= 40) else ("en" if lat else "ru")


_LIST_SPLIT = re.compile(r"[,;\n/|•]+|\s+[-–—]\s+")
TERM_LIST_MAX_WORDS = 3   # a list item this short names a term, it states nothing


def is_term_list(text: str) -> bool:
    """A bare list of terms, no statement: every comma / line separated item has at most
    TERM_LIST_MAX_WORDS words and there are at least three items.
    'KV cache, GQA, n_kv_heads, HBM' -> True; 'GQA делит K/V-головы между группами Q' -> False."""
    items = [i.strip(" .:!?()") for i in _LIST_SPLIT.split(text) if i.strip(" .:!?()")]
    return len(items) >= 3 and all(len(i.split()) <= TERM_LIST_MAX_WORDS for i in items)
