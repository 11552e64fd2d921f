"""Repetition loops: spotted while streaming, copies taken out, normal answers left alone."""

from __future__ import annotations

import pytest

from tutor.llm.repetition import drop_repeats, looping

AWQ = "AWQ активно использует информацию о втором порядке (Hessian) для квантизации. "
GPTQ = "В отличие от AWQ, GPTQ использует информацию второго порядка. "
INTRO = "GPTQ и AWQ — два метода квантизации. "


def test_a_sentence_third_copy_is_a_loop_even_with_others_between() -> None:
    assert not looping(INTRO + AWQ + GPTQ + AWQ)
    assert looping(INTRO + AWQ + GPTQ + AWQ + AWQ)
    assert looping(INTRO + AWQ + GPTQ + AWQ + GPTQ + AWQ)


def test_markers_list_numbers_and_case_do_not_hide_a_copy() -> None:
    lines = ["1. PPO требует reward model и critic [2].", "2. ppo требует reward model и critic.",
             "3. PPO требует Reward Model и critic [4]!"]
    assert looping("\n".join(lines) + "\n")


def test_the_sentence_being_written_does_not_count_yet() -> None:
    assert not looping(INTRO + AWQ + AWQ + AWQ[:40])
    assert looping(INTRO + AWQ + AWQ + AWQ.rstrip())


def test_a_phrase_repeating_without_sentence_ends_is_a_loop() -> None:
    assert looping("Ответ: это важно и так далее и так далее и так далее ")
    assert not looping("Ответ: это важно и так далее и так далее ")


@pytest.mark.parametrize("text", [
    "Да. Да. Да. Нет.",                                          # short sentences may repeat
    "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n",               # a table
    "x = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",   # no letters in the repeated piece
    "LoRA обучает low-rank матрицы [1]. QLoRA квантует базу в 4 бита [2]. DoRA делит вес на "
    "направление и длину [3]. LoRA обучает low-rank матрицы, поэтому дешёвая [1].",
])
def test_normal_answers_are_not_loops(text: str) -> None:
    assert not looping(text)


def test_drop_repeats_keeps_the_first_copy_of_each_sentence_in_order() -> None:
    looped = INTRO + AWQ + GPTQ + AWQ + GPTQ + AWQ + AWQ
    assert drop_repeats(looped) == (INTRO + AWQ + GPTQ).rstrip()


def test_drop_repeats_removes_a_started_copy_but_keeps_a_new_unfinished_sentence() -> None:
    assert drop_repeats(INTRO + AWQ + AWQ + AWQ + "AWQ активно исп") == (INTRO + AWQ).rstrip()
    assert drop_repeats(INTRO + AWQ + "Итог: оба") == INTRO + AWQ + "Итог: оба"


def test_drop_repeats_keeps_one_copy_of_a_repeated_tail() -> None:
    assert drop_repeats("Ответ: это важно и так далее и так далее и так далее ") == \
        "Ответ: это важно и так далее"


def test_drop_repeats_leaves_text_without_copies_as_it_was() -> None:
    text = "LoRA обучает A и B [1].\n\n- QLoRA: 4 бита [2].\n- DoRA: направление и длина.\n"
    assert drop_repeats(text) == text.rstrip()
