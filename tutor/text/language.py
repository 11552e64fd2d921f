"""Language detection for the notes, questions, answers and the model's text.

The notes are Russian full of English terms ("Спроектируйте hallucination detection pipeline для
production RAG" has 16 Cyrillic letters of 59), so a share-of-letters rule alone calls many Russian
texts English. One rule, measured against the three the project used to have (2026-12-07, every
corpus chunk, bank item, eval question and eval answer): it is the grader's rule, and it disagreed
with the other two only where they called a Russian text English.
"""

from __future__ import annotations

import re
from fractions import Fraction

from tutor.core.types import Lang

_CYR = re.compile(r"[а-яё]", re.IGNORECASE)
_LAT = re.compile(r"[a-z]", re.IGNORECASE)
RU_SHARE = Fraction(1, 5)  # Cyrillic share of all letters from which a text is Russian ...
RU_LETTERS = 40            # ... or this many Cyrillic letters, whatever the share (a long text quoting code)


def detect_lang(text: str) -> Lang:
    """'ru' or 'en'; a text with no letters is 'ru' (the notes' language).

    >>> detect_lang("Что такое KV cache?"), detect_lang("What is GQA?"), detect_lang("")
    ('ru', 'en', 'ru')
    >>> detect_lang("Спроектируйте hallucination detection pipeline для production RAG")
    'ru'
    """
    cyr = len(_CYR.findall(text))
    lat = len(_LAT.findall(text))
    if not cyr:
        return "en" if lat else "ru"
    return "ru" if Fraction(cyr, cyr + lat) >= RU_SHARE or cyr >= RU_LETTERS else "en"
