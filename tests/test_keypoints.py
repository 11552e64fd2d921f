"""Topping up derived key points with the reference's own statements (pure)."""

from __future__ import annotations

from tutor.keypoints import MIN_POINTS, reference_statements, top_up

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
