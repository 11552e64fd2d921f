"""tutor.answering.crosscheck: a comparison answer crediting one rival with the other's term is caught; the
same facts said of the right rival, negated, or about terms both share are not."""

from __future__ import annotations

from tutor.answering.crosscheck import mixups, names, parts, rivals, terms

Q = "Чем GPTQ отличается от AWQ?"
SOURCES = [
    (1, "Quantization · Medium\nQ: GPTQ vs AWQ?\nA: Оба INT4. AWQ activation-aware, быстрее inference."),
    (2, "Q: GPTQ — как работает?\nKey insight: Use second-order information (Hessian) for optimal "
        "quantization. Quantize weights column-by-column. Tools: AutoGPTQ, GPTQ-for-LLaMa"),
    (3, "| NVIDIA GPU | AWQ or GPTQ (~98% quality) |\n| CPU/Edge | GGUF Q4_K_M |"),
]


def test_the_live_mixup_is_caught_with_the_source_that_holds_the_term() -> None:
    answer = ("GPTQ отличается от AWQ тем, что AWQ активно использует информацию о втором порядке "
              "(Hessian) для оптимального квантования.")
    [m] = mixups(answer, Q, SOURCES)
    assert (m.term, m.said_of, m.notes_tie_to, m.source) == ("Hessian", "AWQ", "GPTQ", 2)
    assert m.part.startswith("что AWQ")


def test_right_rival_negation_and_shared_terms_are_not_flagged() -> None:
    fine = [
        "GPTQ использует Hessian [2], а AWQ — activation-aware калибровку [1].",
        "AWQ не использует Hessian.",
        "AWQ и GPTQ квантуют в INT4 [1].",               # names both rivals
        "AWQ работает на GPU [3].",                      # GPU: the table names both
        "AWQ использует GGUF.",                          # wrong, but the notes tie GGUF to neither rival
    ]
    for answer in fine:
        assert mixups(answer, Q, SOURCES) == [], answer


def test_english_answer_uses_term_shape_not_every_word() -> None:
    q = "How does GPTQ differ from AWQ?"
    assert [m.term for m in mixups("AWQ quantizes column-by-column using the Hessian.", q, SOURCES)] == \
        ["column-by-column", "Hessian"]
    # ordinary English words held only by the GPTQ source are not terms
    assert mixups("AWQ is used for optimal quantization of weights.", q, SOURCES) == []


def test_no_rivals_no_check() -> None:
    assert rivals("What is LoRA?") == [] and rivals("Зачем нужен FlashAttention?") == []
    assert rivals(Q) == ["GPTQ", "AWQ"] and rivals("Чем DPO отличается от RLHF с PPO?") == ["DPO", "RLHF", "PPO"]
    assert mixups("LoRA uses the Hessian.", "What is LoRA?", SOURCES) == []


def test_helpers() -> None:
    assert names("GPTQ-for-LLaMa", "GPTQ") and not names("AutoGPTQ", "GPTQ")
    assert parts("A делает X, а B — Y. C.") == ["A делает X", "а B — Y.", "C."]
    assert terms("AWQ uses the Hessian", russian=False) == ["AWQ", "Hessian"]
    assert terms("Hessian is used", russian=False) == []  # a capital that opens the sentence


def test_every_term_credited_to_the_wrong_rival_is_found() -> None:
    answer = "WordPiece is Byte Pair Encoding. WordPiece: frequency-based merges as in GPT-2."
    srcs = [(1, "BPE (Byte Pair Encoding): frequency-based merges. Used in GPT-2."),
            (2, "WordPiece: likelihood-based merges, BERT.")]
    found = mixups(answer, "BPE vs WordPiece?", srcs)
    assert {m.term for m in found} == {"Byte", "Pair", "Encoding", "frequency-based", "GPT-2"}
    assert {(m.said_of, m.notes_tie_to, m.source) for m in found} == {("WordPiece", "BPE", 1)}
