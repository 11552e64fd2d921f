"""Topping up derived key points with the reference's own statements (pure)."""

from __future__ import annotations

from tutor.keypoints import MIN_POINTS, grounded, reference_statements, top_up

REF = """**Коротко.** Temperature делит логиты перед softmax.
| T | эффект |
|---|---|
| 0.2 | почти greedy |
- При T<1 распределение заостряется, модель увереннее.
- При T>1 распределение сглаживается, ответы разнообразнее.
```python
p = softmax(z / T)
```"""


def test_reference_statements_keep_prose_and_drop_tables_code_and_markup() -> None:
    assert reference_statements(REF) == [
        "Temperature делит логиты перед softmax.",
        "При T<1 распределение заостряется, модель увереннее.",
        "При T>1 распределение сглаживается, ответы разнообразнее.",
    ]


def test_top_up_adds_statements_the_points_do_not_already_say() -> None:
    points = ["Temperature делит логиты перед softmax"]
    out = top_up(points, REF)
    assert len(out) == MIN_POINTS and out[0] == points[0]
    assert out[1:] == ["При T<1 распределение заостряется, модель увереннее.",
                       "При T>1 распределение сглаживается, ответы разнообразнее."]


def test_top_up_keeps_enough_points_and_is_idempotent() -> None:
    three = ["a point one here", "another point two", "third point three"]
    assert top_up(three, REF) == three
    once = top_up(["Temperature делит логиты перед softmax"], REF)
    assert top_up(once, REF) == once


def test_top_up_with_nothing_usable_returns_what_it_has() -> None:
    assert top_up(["Один пункт"], "| a | b |\n|---|---|") == ["Один пункт"]


MP_REF = ("Использование FP16/BF16 для forward/backward pass и FP32 для master weights и gradient "
          "accumulation. Ускоряет training в 2x, снижает memory в 2x. BF16 предпочтительнее FP16 на "
          "Ampere+ GPU (нет overflow проблем).")


def test_only_points_grounded_in_the_reference_and_its_language_are_kept() -> None:
    # a real derivation: English points for a Russian reference (the judge then rated a correct
    # Russian answer 'missed' on all of them), one of them not in the reference at all
    assert not grounded("This technique accelerates training by 2x and reduces memory by 2x.", MP_REF)
    assert not grounded("Mixed precision training is particularly useful for training large models.", MP_REF)
    assert grounded("BF16 предпочтительнее FP16 на Ampere+ GPU", MP_REF)
    assert grounded("Ускоряет обучение (training) в 2x и снижает memory", MP_REF)
    assert not grounded("Модель обучается быстрее на TPU", MP_REF)
