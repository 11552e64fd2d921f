"""The one catalogue of fixed sentences the tutor says itself (no LLM involved), Russian and English:
answering's notices and headings, the grader's feedback ('grade.*'). Pure."""

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
    "notes_pro": {
        "ru": "Что должен затронуть профи:",
        "en": "What a pro should cover:",
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
    "explain_offer": {
        "ru": "_Это ответ ваших заметок. Объяснение модели — по запросу (объяснить / подробнее / проще / "
              "по-английски); это слова модели, а не заметок: сверяйте с цитатами выше._",
        "en": "_This is your notes' own answer. The model explains it on request (explain / more / simpler / "
              "in English); those are the model's words, not the notes': check them against the quotes above._",
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
    # --- the grader's feedback (tutor/grading/feedback.py) ---
    "grade.covered": {
        "ru": 'Раскрыто',
        "en": 'Covered',
    },
    "grade.partly": {
        "ru": 'Частично',
        "en": 'Partly',
    },
    "grade.missed": {
        "ru": 'Не раскрыто',
        "en": 'Missed',
    },
    "grade.contradicted": {
        "ru": 'Противоречит эталону',
        "en": 'Contradicts the reference',
    },
    "grade.errors": {
        "ru": 'Фактические ошибки',
        "en": 'Factual errors',
    },
    "grade.red_flags": {
        "ru": 'Красные флаги',
        "en": 'Red flags',
    },
    "grade.score": {
        "ru": 'Оценка',
        "en": 'Score',
    },
    "grade.truncated": {
        "ru": 'Ответ был длиннее {n} символов и обрезан; оценена только первая часть.',
        "en": 'The answer was longer than {n} characters and was truncated; only the first part was graded.',
    },
    "grade.matched": {
        "ru": 'Оценено по вопросу банка: «{q}».',
        "en": 'Graded against the bank question: "{q}".',
    },
    "grade.no_bank_match": {
        "ru": 'Такого вопроса нет в банке: ответ сравнивался с ближайшими заметками («{q}»).',
        "en": 'This question is not in the bank: the answer was compared with the nearest notes ("{q}").',
    },
    "grade.term_list": {
        "ru": 'Список терминов без утверждений не раскрывает ни одного пункта: скажите, что и как связано.',
        "en": 'A list of terms states nothing, so it covers no key point: say what relates to what and how.',
    },
    "grade.empty": {
        "ru": 'Ответ пустой — 0 баллов.',
        "en": 'The answer is empty: 0 points.',
    },
    "grade.unverified": {
        "ru": '«{quote}» — в заметках к этому вопросу нет таких чисел ({numbers}); проверьте их.',
        "en": '"{quote}" — the notes for this question give no such number ({numbers}); check it.',
    },
    "grade.follow_up_gap": {
        "ru": 'Уточните, пожалуйста: {point}',
        "en": 'Could you elaborate on this: {point}',
    },
    "grade.follow_up_contra": {
        "ru": 'Вы сказали: «{quote}». Уверены? Поясните ещё раз этот момент.',
        "en": 'You said: "{quote}". Are you sure? Please explain that part again.',
    },
    "grade.follow_up_deeper": {
        "ru": 'Хорошо. А как это проявляется на практике: какие компромиссы и цифры вы бы назвали?',
        "en": 'Good. How does this play out in practice: which trade-offs and numbers would you name?',
    },
}


def phrase(key: str, lang: Lang) -> str:
    """A fixed sentence in the given language: phrase('not_covered', 'en') -> "My notes don't ..."."""
    return _PHRASES[key][lang]


def say(key: str, lang: str, **kw: object) -> str:
    """``phrase`` with its fields filled; a language other than 'en' reads Russian (the notes' language):
    say('grade.empty', 'en') -> 'The answer is empty: 0 points.'."""
    return _PHRASES[key]["en" if lang == "en" else "ru"].format(**kw)
