"""Question language detection and the fixed sentences the tutor says itself (no LLM involved).

Pure: imports nothing heavy. The notes are Russian full of English terms, so a question counts as
Russian as soon as a fair share of its letters are Cyrillic.
"""

from __future__ import annotations

from tutor.core.types import Lang

_PHRASES: dict[str, dict[Lang, str]] = {
    "not_covered": {
        "ru": "В моих заметках нет ответа на этот вопрос, поэтому я не буду отвечать наугад. "
              "Попробуйте переформулировать вопрос или спросите о теме из заметок "
              "(RAG, LoRA, квантизация, KV cache, RLHF...).",
        "en": "My notes don't cover this question, so I won't guess. Try rephrasing it or ask about "
              "a topic from the notes (RAG, LoRA, quantization, KV cache, RLHF...).",
    },
    "unknown_terms": {
        "ru": "В моих заметках нет ни слова о {terms}, поэтому объяснять наугад я не буду. "
              "Ниже — самое близкое, что в них есть: проверьте, отвечает ли оно на ваш вопрос.",
        "en": "My notes never mention {terms}, so I won't explain by guessing. Below is the closest thing "
              "they have: check whether it answers your question.",
    },
    "quote": {"ru": "«{}»", "en": "“{}”"},
    "notes_bank": {
        "ru": "**Из заметок** [1] — вопрос банка «{q}»:",
        "en": "**From your notes** [1] — bank question “{q}”:",
    },
    "notes_also": {
        "ru": "**Ещё в заметках:**",
        "en": "**Also in your notes:**",
    },
    "notes_extract": {
        "ru": "**Ближе всего в заметках** (готового ответа на этот вопрос в банке нет):",
        "en": "**Closest passages in your notes** (the question bank has no answer to this question):",
    },
    "explanation": {
        "ru": "**Объяснение** (пишет модель, без ссылок — опирайтесь на заметки выше):",
        "en": "**Explanation** (written by the model, uncited — the notes above are the reference):",
    },
    "explanation_empty": {
        "ru": "_Объяснение убрано: оно расходилось с заметками._",
        "en": "_The explanation was removed: it disagreed with the notes._",
    },
    "removed": {
        "ru": "⚠ Из объяснения убрано предложений: {n} — они расходились с заметками (число или сторона сравнения).",
        "en": "⚠ {n} sentence(s) removed from the explanation: they disagreed with the notes (a number or the side of a comparison).",
    },
    "loop_cut": {
        "ru": "✂ Модель начала повторяться: генерация остановлена, повторы убраны из ответа.",
        "en": "✂ The model started repeating itself: generation was stopped and the repeats removed.",
    },
    "answer_in": {"ru": "Russian", "en": "English"},
}


def phrase(key: str, lang: Lang) -> str:
    """A fixed sentence in the given language: phrase('not_covered', 'en') -> "My notes don't ..."."""
    return _PHRASES[key][lang]
