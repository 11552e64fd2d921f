from __future__ import annotations

import pytest

from tutor.answering.conversation import (
    Turn,
    fallback_query,
    history_from_messages,
    needs_rewrite,
    trim_history,
)

HIST = [Turn(role="user", content="Что такое LoRA?"),
        Turn(role="assistant", content="LoRA добавляет low-rank адаптеры [1].")]


def count(text: str) -> int:
    return len(text.split())


def test_trim_history_keeps_most_recent_within_budget_without_holes():
    turns = [Turn(role="user", content="a " * 10), Turn(role="assistant", content="b " * 3),
             Turn(role="user", content="c " * 2)]
    assert [t.content[0] for t in trim_history(turns, 100, count)] == ["a", "b", "c"]
    assert [t.content[0] for t in trim_history(turns, 13, count)] == ["b", "c"]
    assert trim_history(turns, 5, count) == []


@pytest.mark.parametrize("q", ["а почему?", "а в чём минусы?", "and for GQA?", "What about MQA?",
                               "Why is this slow?", "Плюсы и минусы?", "минусы?", "А как это ускорить?"])
def test_followups_need_rewrite(q):
    assert needs_rewrite(q, HIST)


@pytest.mark.parametrize("q", ["Что такое KV cache?", "Explain KV cache quantization",
                               "Что такое GQA?", "Как работает speculative decoding?"])
def test_standalone_questions_skip_rewrite(q):
    assert not needs_rewrite(q, HIST)


def test_a_pronoun_makes_a_question_a_followup():
    assert needs_rewrite("Зачем он нужен?", HIST)


def test_nothing_to_rewrite_without_history():
    assert not needs_rewrite("а почему?", [])
    assert not needs_rewrite("а почему?", [Turn(role="assistant", content="Hello")])


def test_history_from_messages_handles_gradio_parts_and_drops_system():
    msgs = [{"role": "system", "content": "rules"},
            {"role": "user", "content": [{"type": "text", "text": "Что такое RAG?"}]},
            {"role": "assistant", "content": "RAG — retrieval [1]."},
            {"role": "user", "content": [{"type": "file", "path": "x.png"}]}]
    assert history_from_messages(msgs) == [Turn(role="user", content="Что такое RAG?"),
                                           Turn(role="assistant", content="RAG — retrieval [1].")]


def test_fallback_query_glues_the_last_user_question_to_the_follow_up():
    assert fallback_query("а почему?", HIST) == "Что такое LoRA? а почему?"
    assert fallback_query("а почему?", []) == "а почему?"
