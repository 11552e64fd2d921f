"""Wrong-claim labels of the notes (tutor.text.labels) and how quoting treats them (tutor.answering.notes)."""

from __future__ import annotations

from tutor.answering.notes import extract, paragraph_of
from tutor.core.types import Citation
from tutor.text.labels import is_wrong_claim, red_flag_lines

MYTH = ("Типичные заблуждения\nЗаблуждение: 'KV cache -- это просто кэш'\n"
        "KV cache -- центральный bottleneck. PagedAttention снижает waste с 60-80% до <4%.\n"
        "Заблуждение: 'RAG добавляет только latency'\nЕщё одна поправка.")
RUBRIC = ("Q: Зачем GQA?\nA: GQA делит K/V-головы между группами query-голов.\nRed flags:\n"
          "- Путает GQA с multi-head attention.\n- Claims GQA quality never changes.\nExpanded answer: GQA saves memory.")


def test_labels_of_wrong_claims_are_recognised():
    assert is_wrong_claim("Заблуждение: 'KV cache -- это просто кэш'") and is_wrong_claim("Слабый ответ: «DPO проще»")
    assert not is_wrong_claim("KV cache -- центральный bottleneck.") and not is_wrong_claim("Сильный ответ: «...»")
    assert red_flag_lines(RUBRIC) == ["- Путает GQA с multi-head attention.", "- Claims GQA quality never changes."]
    assert red_flag_lines("A.\nB.") == []


def test_a_misconception_is_quoted_with_its_correction_and_red_flags_never():
    assert paragraph_of("Заблуждение: 'KV cache -- это просто кэш'", MYTH, max_chars=20) == [
        "Заблуждение: 'KV cache -- это просто кэш'", "KV cache -- центральный bottleneck."]  # the first always
    assert paragraph_of("Заблуждение: 'KV cache -- это просто кэш'", MYTH)[-1] == "PagedAttention снижает waste с 60-80% до <4%."
    part = extract("GQA quality multi-head?", [Citation(n=1, chunk_id="c", doc="d", section="s", text=RUBRIC)])
    assert part is not None and "Путает" not in part.text and "never changes" not in part.text, part.text
