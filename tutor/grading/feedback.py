"""Feedback text, the model answer and the template follow-up, built in Python from the verdicts
(no LLM tokens spent on them). Pure, no heavy imports."""

from __future__ import annotations

from tutor.grading.schema import PointResult
from tutor.types import Citation

_T = {
    "ru": {
        "covered": "Раскрыто", "partly": "Частично", "missed": "Не раскрыто",
        "contradicted": "Противоречит эталону", "errors": "Фактические ошибки",
        "red_flags": "Красные флаги", "score": "Оценка",
        "truncated": "Ответ был длиннее {n} символов и обрезан; оценена только первая часть.",
        "injection": "Указания проверяющему в ответе проигнорированы и не оценивались.",
        "off_topic": "Ответ почти не относится к вопросу, поэтому оценка ограничена.",
        "copied_question": "Ответ в основном повторяет вопрос, поэтому оценка ограничена.",
        "no_reference": "Вопроса нет в банке: ответ сравнивался с найденными заметками.",
        "empty": "Ответ пустой — 0 баллов.",
        "conflict": "В ответе есть утверждение, противоречащее эталону, поэтому оценка ограничена.",
        "follow_up_gap": "Уточните, пожалуйста: {point}",
        "follow_up_contra": "Вы сказали: «{quote}». Уверены? Поясните ещё раз этот момент.",
        "follow_up_deeper": "Хорошо. А как это проявляется на практике: какие компромиссы и цифры вы бы назвали?",
    },
    "en": {
        "covered": "Covered", "partly": "Partly", "missed": "Missed",
        "contradicted": "Contradicts the reference", "errors": "Factual errors",
        "red_flags": "Red flags", "score": "Score",
        "truncated": "The answer was longer than {n} characters and was truncated; only the first part was graded.",
        "injection": "Instructions to the grader inside the answer were ignored and not graded.",
        "off_topic": "The answer is mostly unrelated to the question, so the score is capped.",
        "copied_question": "The answer mostly repeats the question, so the score is capped.",
        "no_reference": "The question is not in the bank: the answer was compared with the retrieved notes.",
        "empty": "The answer is empty: 0 points.",
        "conflict": "The answer states something the reference contradicts, so the score is capped.",
        "follow_up_gap": "Could you elaborate on this: {point}",
        "follow_up_contra": "You said: \"{quote}\". Are you sure? Please explain that part again.",
        "follow_up_deeper": "Good. How does this play out in practice: which trade-offs and numbers would you name?",
    },
}


def text(lang: str, key: str, **kw: object) -> str:
    return _T.get(lang, _T["ru"])[key].format(**kw)


def build_feedback(lang: str, score: float, points: list[PointResult], red_flags: list[str],
                   errors: list[str], flags: list[str], max_chars: int = 0) -> str:
    """Markdown feedback in the candidate's language: notices, then one line per key point."""
    lines = [f"**{text(lang, 'score')}: {score:g}/10**"]
    for flag in flags:
        if flag in ("truncated", "injection", "off_topic", "copied_question", "no_reference", "empty", "conflict"):
            lines.append(text(lang, flag, n=max_chars))
    for p in points:
        quote = f" — «{p.evidence}»" if p.evidence else ""
        lines.append(f"- {text(lang, p.verdict)}: {p.point}{quote}")
    if errors:
        lines.append(f"{text(lang, 'errors')}:")
        lines.extend(f"- {e}" for e in errors)
    if red_flags:
        lines.append(f"{text(lang, 'red_flags')}:")
        lines.extend(f"- {f}" for f in red_flags)
    return "\n".join(lines)


def biggest_gap(points: list[PointResult]) -> PointResult | None:
    """Contradicted first, then missed, then partly; None when everything is covered."""
    for verdict in ("contradicted", "missed", "partly"):
        for p in points:
            if p.verdict == verdict:
                return p
    return None


def template_follow_up(lang: str, points: list[PointResult]) -> str:
    gap = biggest_gap(points)
    if gap is None:
        return text(lang, "follow_up_deeper")
    if gap.verdict == "contradicted" and gap.evidence:
        return text(lang, "follow_up_contra", quote=gap.evidence)
    return text(lang, "follow_up_gap", point=gap.point)


def model_answer(reference: str, citations: list[Citation]) -> str:
    """The reference answer with its source markers: 'text [1][2]'."""
    marks = "".join(f"[{c.n}]" for c in citations)
    return f"{reference.strip()} {marks}".strip()
