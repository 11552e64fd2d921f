"""Conversation memory (bounded by tokens) and follow-ups: ``needs_rewrite`` spots a question that
only makes sense with the conversation, ``fallback_query`` searches it together with the question
before it (no model call stands between a follow-up and the notes). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from tutor.llm.budget import CountTokens
from tutor.text.markdown import unquote

MAX_QUERY_CHARS = 300

_FOLLOWUP_START = re.compile(
    r"^\s*(а|и|но|ну|тогда|также|а\s+если|а\s+что|а\s+как|а\s+для|а\s+почему|почему|зачем|"
    r"and|but|so|then|also|what\s+about|how\s+about|why|same\s+for|and\s+for)\b", re.IGNORECASE)
_ANAPHORA = re.compile(
    r"\b(это|этого|этому|этим|этом|эта|эти|этих|он|она|оно|они|его|её|ее|их|ему|ей|им|нём|нем|ней|"
    r"него|неё|нее|них|там|тут|тот|та|те|той|того|выше|"
    r"it|its|this|these|those|they|them|their|there|above|former|latter)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9-]+")  # LoRA, GQA, KV, vLLM
SHORT_QUESTION_WORDS = 4


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


def _content_text(content: Any) -> str:
    """Gradio 6 parts [{'type': 'text', 'text': 'hi'}] or a plain string -> 'hi'."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_content_text(p) for p in content).strip()
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    return ""


def history_from_messages(messages: Sequence[dict[str, Any]]) -> list[Turn]:
    """[{'role': 'user', 'content': 'hi'}, {'role': 'system', ...}] -> [Turn(user, 'hi')].

    Non user/assistant roles and empty contents are dropped.
    """
    turns = []
    for m in messages:
        text = _content_text(m.get("content", "")).strip()
        if m.get("role") in ("user", "assistant") and text:
            turns.append(Turn(role=m["role"], content=text))
    return turns


def trim_history(turns: Sequence[Turn], budget_tokens: int, count_tokens: CountTokens) -> list[Turn]:
    """The most recent turns whose token counts sum to at most ``budget_tokens`` (order kept).

    A turn that does not fit ends the walk backwards: memory never has holes.
    """
    kept: list[Turn] = []
    left = budget_tokens
    for turn in reversed(turns):
        cost = count_tokens(turn.content) + 4  # role label
        if cost > left:
            break
        kept.append(turn)
        left -= cost
    return kept[::-1]


def needs_rewrite(question: str, history: Sequence[Turn]) -> bool:
    """Cheap heuristic: is this a follow-up that only makes sense with the conversation?

    No history -> False. 'а почему?', 'and for GQA?', 'а в чём минусы?' (connector start),
    'Why is this slow?' (pronoun), 'Плюсы и минусы?' (short, no term) -> True.
    'Что такое LoRA?', 'Explain KV cache quantization' -> False.
    """
    if not any(t.role == "user" for t in history):
        return False
    if _FOLLOWUP_START.search(question) or _ANAPHORA.search(question):
        return True
    words = _WORD.findall(question)
    has_term = any(_TERM.fullmatch(w) for w in words)
    return len(words) <= 1 or (len(words) < SHORT_QUESTION_WORDS and not has_term)


def last_answer(history: Sequence[Turn]) -> str:
    """The conversation's last answer as plain text (the Markdown quote marks of its notes removed):
    what a follow-up has already been shown. '> A [1]\n>\n> B' -> 'A [1]\n\nB'."""
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return unquote(last)


def fallback_query(question: str, history: Sequence[Turn]) -> str:
    """No usable rewrite: glue the last user question to the follow-up.
    ('а почему?', [user 'Что такое LoRA?']) -> 'Что такое LoRA? а почему?'."""
    last = next((t.content for t in reversed(history) if t.role == "user"), "")
    return f"{last} {question}".strip()[:MAX_QUERY_CHARS]
