"""Feedback text, the model answer and the template follow-up, built in Python from the verdicts
(no LLM tokens spent on them). Pure, no heavy imports."""

from __future__ import annotations

import re

from tutor.core.phrases import say
from tutor.core.types import Citation
from tutor.grading.schema import PointResult
from tutor.text.words import terms


def text(lang: str, key: str, **kw: object) -> str:
    """The grader's fixed sentence ``key`` (catalogue: tutor.core.phrases, keys 'grade.*')."""
    return say(f"grade.{key}", lang, **kw)


def build_feedback(lang: str, score: float, points: list[PointResult], red_flags: list[str],
                   errors: list[str], flags: list[str], max_chars: int = 0, *, matched: str = "") -> str:
    """Markdown feedback in the candidate's language: notices, then one line per key point."""
    lines = [f"**{text(lang, 'score')}: {score:g}/10**"]
    if matched:
        lines.append(text(lang, "no_bank_match" if "no_bank_match" in flags else "matched", q=matched))
    for flag in flags:
        if flag in ("truncated", "empty", "term_list"):
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


_PREAMBLE = re.compile(r"^(вот|here|sure|конечно|follow-?up|вопрос|question)\b[^?]*?:\s*", re.IGNORECASE)


def real_question(reply: str, point: str) -> str:
    """The LLM's follow-up when it is a real question about ``point``: its first line with a
    question mark, no preamble ('Вот вопрос:'), at most 250 chars, sharing a content word with the
    point. '' otherwise (the caller uses the template).
    'Вот вопрос для вас: Как GQA влияет на KV-кэш?' with point 'GQA уменьшает KV-кэш' -> 'Как GQA влияет на KV-кэш?'"""
    for line in reply.strip().strip('"').splitlines():
        line = _PREAMBLE.sub("", line.strip().strip('"«»*'))
        if not line:
            continue
        if not line.endswith("?") or len(line) > 250 or ":" in line[:-1]:
            return ""
        return line if set(terms(line)) & set(terms(point)) else ""
    return ""


def model_answer(reference: str, citations: list[Citation]) -> str:
    """The reference answer with its source markers: 'text [1][2]'."""
    marks = "".join(f"[{c.n}]" for c in citations)
    return f"{reference.strip()} {marks}".strip()
