"""Question language detection and the fixed sentences the tutor says itself (no LLM involved).

Pure: imports nothing heavy. The notes are Russian full of English terms, so a question counts as
Russian as soon as a fair share of its letters are Cyrillic.
"""

from __future__ import annotations

import re

from tutor.types import Lang

_CYR = re.compile(r"[а-яё]", re.IGNORECASE)
_LAT = re.compile(r"[a-z]", re.IGNORECASE)
RU_SHARE = 0.3  # Cyrillic share of letters from which a text counts as Russian

_PHRASES: dict[str, dict[Lang, str]] = {
    "not_covered": {
        "ru": "В моих заметках нет ответа на этот вопрос, поэтому я не буду отвечать наугад. "
              "Попробуйте переформулировать вопрос или спросите о теме из заметок "
              "(RAG, LoRA, квантизация, KV cache, RLHF...).",
        "en": "My notes don't cover this question, so I won't guess. Try rephrasing it or ask about "
              "a topic from the notes (RAG, LoRA, quantization, KV cache, RLHF...).",
    },
    "no_citation": {
        "ru": "⚠ В ответе нет ни одной ссылки на источник: проверьте его по заметкам ниже.",
        "en": "⚠ This answer cites no source: check it against the notes below.",
    },
    "notes_say": {
        "ru": "⚠ В ответе нет ни одной ссылки на источник: он не подтверждён заметками. Вот что в них сказано:",
        "en": "⚠ This answer cites no source: the notes do not back it. This is what they say:",
    },
    "mixup": {
        "ru": "⚠ Проверьте: в заметках {terms} — это про {tie}, а не про {said} (источник {n}).",
        "en": "⚠ Check this: your notes say {terms} of {tie}, not of {said} (source {n}).",
    },
    "loop_cut": {
        "ru": "✂ Модель начала повторяться: генерация остановлена, повторы убраны из ответа.",
        "en": "✂ The model started repeating itself: generation was stopped and the repeats removed.",
    },
    "quote": {"ru": "«{}»", "en": "“{}”"},
    "answer_in": {"ru": "Russian", "en": "English"},
}


def detect_lang(text: str) -> Lang:
    """'Что такое KV cache?' -> 'ru'; 'What is GQA?' -> 'en'; '' -> 'ru' (the notes' language).

    Russian when Cyrillic letters make up at least ``RU_SHARE`` of all letters.
    """
    cyr = len(_CYR.findall(text))
    lat = len(_LAT.findall(text))
    if cyr + lat == 0:
        return "ru"
    return "ru" if cyr / (cyr + lat) >= RU_SHARE else "en"


def phrase(key: str, lang: Lang) -> str:
    """A fixed sentence in the given language: phrase('not_covered', 'en') -> "My notes don't ..."."""
    return _PHRASES[key][lang]
