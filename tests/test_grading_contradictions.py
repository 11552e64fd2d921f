"""Deterministic contradiction checks on aligned statement pairs (ru + en, both directions: a true
contradiction is caught, a paraphrase of the truth is not)."""

from __future__ import annotations

import pytest

from tests.fakes import FakeEmbedder
from tutor.grading import lexicon, quantities
from tutor.grading.contradictions import (
    align,
    answer_clauses,
    find_contradictions,
    pair_conflict,
    quoted_red_flags,
    statements,
)

TEMP_REF = ("Масштабирует logits перед softmax. При T<1 распределение заостряется (модель более уверена). "
            "При T>1 распределение сглаживается (больше разнообразия).")


def kinds(answer: str, reference: str, key_points: tuple[str, ...] = (), red_flags: tuple[str, ...] = ()) -> list[str]:
    return [c.kind for c in find_contradictions(answer, reference, key_points, red_flags)]


# --- lexicon / quantities ----------------------------------------------------------------------
def test_concepts_skip_negated_words() -> None:
    assert lexicon.concept_of("сглаживается") == "flatten" and lexicon.concept_of("slower") == "slower"
    assert lexicon.concept_of("модель") == ""
    assert [c for _, c in lexicon.concepts("не быстрее, а медленнее")] == ["slower"]
    assert lexicon.orgs("метод OpenAI, как в DeepSeek-R1") == {"openai", "deepseek"}


def test_quantities() -> None:
    assert quantities.flipped_comparison("При T<1 сглаживается", "При T>1 сглаживается")
    assert not quantities.flipped_comparison("При T<1 заостряется", "При T<1 заостряется")
    assert quantities.size_mismatch("для Llama 70B около 10MB", "~10GB for Llama 70B")
    assert not quantities.size_mismatch("около 10 ГБ на 4K", "~10GB for Llama 70B, 100GB at 128K")
    assert quantities.swapped_variant("forward в FP32", "FP16/BF16 для forward")
    assert not quantities.swapped_variant("forward в FP16 или BF16", "FP16 для forward, FP32 для master weights")
    assert not quantities.swapped_variant("на H100", "на H100 и A100")


# --- alignment ---------------------------------------------------------------------------------
def test_statements_and_clauses() -> None:
    assert statements("FP16 для forward pass и FP32 для master weights.") == [
        "FP16 для forward pass и FP32 для master weights", "FP16 для forward pass", "FP32 для master weights"]
    assert answer_clauses("BF16 часто переполняется, поэтому FP16 предпочтительнее.") == [
        "BF16 часто переполняется", "поэтому FP16 предпочтительнее."]


def test_alignment_picks_the_statement_on_the_same_subject() -> None:
    stmts = statements(TEMP_REF)
    near = align(["При T<1 распределение сглаживается и ответы разнообразнее"], stmts)[0]
    assert near and near[0].startswith("При T>1")  # shares 'распределение', 'разнообразие'
    assert align(["Совсем про другое: рецепт борща"], stmts) == [[]]


def test_alignment_falls_back_to_embeddings_only_when_close() -> None:
    stmts = ["Teacher produces soft probability distributions"]
    # the fake embedder maps texts by words; identical wording -> cosine 1, nothing shared -> low
    assert align(["Teacher produces soft probability distributions!"], stmts, FakeEmbedder().embed_documents) == [stmts]
    assert align(["Рецепт борща"], stmts, FakeEmbedder().embed_documents) == [[]]


# --- contradictions, both directions -----------------------------------------------------------
@pytest.mark.parametrize(("answer", "reference", "kind"), [
    ("Temperature масштабирует logits после softmax.", TEMP_REF, "antonym"),
    ("При T<1 распределение сглаживается и ответы разнообразнее.", TEMP_REF, "comparison"),
    ("Параметров становится больше в 100-1000 раз.", "Параметров в 100-1000x меньше.", "antonym"),
    ("Speculative decoding with a fast drafter is slower than plain decoding.",
     "With a fast drafter, speculative decoding is faster than plain decoding.", "antonym"),
    ("Attention cost grows quadratically with sequence length in SWA.",
     "In SWA attention cost grows linearly with sequence length.", "antonym"),
    ("Памяти почти не занимает — для Llama 70B около 10MB.", "Memory: ~10GB for Llama 70B @ 4K context", "unit"),
    ("master weights хранятся в FP16.", "FP16/BF16 для forward pass и FP32 для master weights.", "term"),
    ("GRPO — метод OpenAI, который сравнивает ответы группы.", "GRPO — метод от DeepSeek-R1, сравнивает ответы группы.",
     "entity"),
    ("Маленькая модель-student обучает большую модель-teacher.",
     "Большая модель (teacher) обучает меньшую (student) имитировать своё поведение.", "swap"),
    ("The encoder reads the source and the decoder generates tokens one at a time.",
     "The decoder reads the source and the encoder generates tokens one at a time.", "swap"),
])
def test_contradiction_is_caught(answer: str, reference: str, kind: str) -> None:
    assert kinds(answer, reference) == [kind]


@pytest.mark.parametrize(("answer", "reference"), [
    ("Temperature делит logits до softmax; при T<1 распределение становится острее, модель увереннее.", TEMP_REF),
    ("при T>1 распределение сглаживается, больше разнообразия.", TEMP_REF),
    ("Обучаемых параметров меньше в 100-1000 раз.", "Параметров в 100-1000x меньше."),
    ("Speculative decoding with a fast drafter is not slower: it beats plain decoding.",
     "With a fast drafter, speculative decoding is faster than plain decoding."),
    ("Для Llama 70B это около 10 ГБ на 4K контекста, на 128K порядка 100GB.", "Memory: ~10GB for Llama 70B @ 4K context"),
    ("forward и backward считаются в FP16 или BF16, а master weights держатся в FP32.",
     "FP16/BF16 для forward/backward pass и FP32 для master weights."),
    ("GRPO из DeepSeek-R1 сравнивает ответы внутри группы.", "GRPO — метод от DeepSeek-R1, сравнивает ответы группы."),
    ("Большая модель-teacher обучает маленькую модель-student.",
     "Большая модель (teacher) обучает меньшую (student) имитировать своё поведение."),
    ("The student learns from the soft probability distributions of the teacher.",
     "Teacher produces soft probability distributions"),
])
def test_paraphrase_of_the_truth_is_not_a_contradiction(answer: str, reference: str) -> None:
    assert kinds(answer, reference) == []


def test_a_statement_confirmed_elsewhere_is_not_a_conflict() -> None:
    # 'T>1 сглаживается' also shares words with the T<1 sentence; that one must not count
    assert pair_conflict("при T>1 распределение сглаживается", "При T<1 распределение заостряется")
    assert kinds("При T<1 распределение заостряется, модель увереннее. При T>1 распределение сглаживается.",
                 TEMP_REF) == []


CB_Q = "Что такое continuous batching и почему это важно?"
CB_REF = ("Традиционный batching ждёт пока все запросы в batch завершатся (padding до max_length). "
          "Continuous batching добавляет новые запросы по мере завершения старых. Результат: 2-10x throughput "
          "improvement. vLLM и TGI используют continuous batching.")
PD_Q = "Prefill vs Decode: Почему prefill обычно дороже и как это влияет на батчинг?"
PD_REF = ("Prefill обрабатывает весь промпт сразу, поэтому матмулы и внимание масштабируются квадратично по "
          "длине. Decode добавляет по одному токену, O(L) на шаг, и упирается в задержки.")


def subject_kinds(answer: str, reference: str, question: str) -> list[str]:
    return [c.kind for c in find_contradictions(answer, reference, question=question)]


@pytest.mark.parametrize(("answer", "reference", "question", "kind"), [
    ("Continuous batching ждёт, пока все запросы батча завершатся, паддя всё до max_length.", CB_REF, CB_Q,
     "subject"),
    ("Поэтому vLLM и TGI его не используют.", CB_REF, CB_Q, "negation"),
    ("На каждом шаге decode внимание масштабируется квадратично по длине.", PD_REF, PD_Q, "subject"),
])
def test_statement_about_the_other_subject_or_negated_is_caught(answer: str, reference: str, question: str,
                                                                kind: str) -> None:
    assert subject_kinds(answer, reference, question) == [kind]


@pytest.mark.parametrize(("answer", "reference", "question"), [
    ("Обычный static batching ждёт, пока завершатся все запросы батча, и паддит их до max_length.", CB_REF, CB_Q),
    ("Continuous batching, в отличие от традиционного, не ждёт, пока все запросы завершатся.", CB_REF, CB_Q),
    ("Continuous batching не ждёт завершения всех запросов: новые добавляются по мере завершения старых.",
     CB_REF, CB_Q),
    ("vLLM и TGI используют continuous batching.", CB_REF, CB_Q),
    ("На prefill внимание масштабируется квадратично по длине промпта.", PD_REF, PD_Q),
    ("(3) нет learned parameters — просто rotation matrix.", "(3) No learned parameters — просто rotation matrix.",
     "Почему RoPE лучше?"),
])
def test_statement_about_its_own_subject_is_not_a_conflict(answer: str, reference: str, question: str) -> None:
    assert subject_kinds(answer, reference, question) == []


def test_subjects_are_read_from_prose_only() -> None:
    ref = "Standard attention: - Materializes N x N matrix - Memory: O(N^2)\nFlash Attention: - never materialize"
    answer = "Flash Attention: - Materializes N x N matrix - Memory: O(N^2)"
    assert subject_kinds(answer, ref, "Flash Attention vs standard attention?") == []


JUDGE_REF = ("Использование сильной LLM (GPT-4, Claude) для оценки outputs другой модели. "
             "Problem: judge bias, self-preference.")


@pytest.mark.parametrize("answer", [
    "LLM-as-judge оценивает outputs. Bias у такого судьи отсутствует, self-preference не бывает.",
    "An LLM judge scores outputs; self-preference does not exist for a good judge.",
    "Judge bias never happens when the judge is GPT-4.",
])
def test_denying_a_term_the_reference_states_is_caught(answer: str) -> None:
    assert "denial" in kinds(answer, JUDGE_REF)


@pytest.mark.parametrize(("answer", "reference"), [
    ("У судьи есть bias и self-preference.", JUDGE_REF),
    ("Судья без калибровки ошибается, bias встречается часто.", JUDGE_REF),
    # the reference denies the same term: saying so is right
    ("Overhead отсутствует: LoRA веса вливаются в базовую модель.",
     "После merge LoRA весов inference без overhead: дополнительных слоёв нет."),
    # a Russian word is not a checked term (no false fires on ordinary nouns)
    ("Потери качества отсутствуют при правильной калибровке.", JUDGE_REF),
])
def test_no_denial_without_a_denied_reference_term(answer: str, reference: str) -> None:
    assert "denial" not in kinds(answer, reference)


def test_quoted_red_flag_said_word_for_word() -> None:
    flags = ["«Всегда быстрее, ставь и не думай».", "Не упоминает acceptance rate."]
    hits = quoted_red_flags("Speculative decoding всегда быстрее, ставь и не думай.", flags)
    assert [c.kind for c in hits] == ["red_flag"] and hits[0].reference == flags[0]
    assert quoted_red_flags("PagedAttention — это новый вид внимания.", ["Называет это «новым видом внимания»."])
    assert quoted_red_flags("It is free and lossless.", ['Claims it is "free and lossless".'])
    # negated, or only the topic named: not the red flag
    assert not quoted_red_flags("Это не новый вид внимания: меняется только память.", ["Называет это «новым видом внимания»."])
    assert not quoted_red_flags("Speculative decoding быстрее при высоком acceptance rate.", flags)


def test_a_negation_elsewhere_in_the_sentence_does_not_hide_the_quoted_phrase() -> None:
    # held-out misses: the sentence-wide guard saw 'не нужно' / 'не нужны' later in the sentence
    rope = "Это бесплатно и без потерь: качество только растёт, и дообучать на длинных примерах не нужно."
    assert quoted_red_flags(rope, ["Говорит, что это «бесплатно и без потерь»."])
    swa = "Мы ничего не теряем, поэтому глобальные токены и внешняя память не нужны."
    assert quoted_red_flags(swa, ["«Ничего не теряем» — игнорирует потерю дальних зависимостей."])
    # a negation inside the quoted span, or right before it, still refuses the match
    assert not quoted_red_flags("Это не бесплатно и без потерь не обходится.", ["«бесплатно и без потерь»"])
    assert not quoted_red_flags("Мы не ничего не теряем.", ["«Ничего не теряем»"])


def test_grader_caps_a_confident_contradiction_the_llm_calls_covered() -> None:
    import json

    from ingest.bank import QuestionBank
    from tests.fakes import FakeLLM
    from tutor.grading.grader import Grader
    from tutor.types import BankItem

    item = BankItem(id="t1", topic="Decoding", question="Что делает temperature?", reference_answer=TEMP_REF,
                    key_points=["Масштабирует logits перед softmax", "При T<1 распределение заостряется",
                                "При T>1 распределение сглаживается"])
    covered = json.dumps({"points": [{"n": n, "verdict": "covered"} for n in (1, 2, 3)], "red_flags": []})
    grader = Grader(FakeLLM(lambda messages: covered), bank=QuestionBank(items=[item]), llm_follow_up=False)
    wrong = grader.grade(item.question, "Temperature масштабирует logits после softmax. При T<1 распределение "
                                        "сглаживается, а при T>1 распределение заостряется.", item=item)
    assert wrong.score <= 3 and "conflict" in wrong.flags and wrong.factual_errors
    right = grader.grade(item.question, "Temperature масштабирует logits перед softmax. При T<1 распределение "
                                        "заостряется, а при T>1 распределение сглаживается.", item=item)
    assert right.score == 10 and "conflict" not in right.flags


def test_suspicious_pair_goes_to_one_focused_llm_question() -> None:
    import json

    from ingest.bank import QuestionBank
    from tests.fakes import FakeLLM
    from tutor.grading.contradictions import suspicious_pairs
    from tutor.grading.grader import Grader
    from tutor.types import BankItem

    ref = "Использование сильной LLM для оценки outputs другой модели."
    item = BankItem(id="j1", topic="Evals", question="Что такое LLM-as-judge?", reference_answer=ref,
                    key_points=["Сильная LLM оценивает outputs другой модели"])
    wrong = "Это когда слабая модель оценивает outputs сильной модели."
    assert suspicious_pairs(wrong, ref) and not suspicious_pairs("Сильная LLM оценивает outputs другой модели.", ref)
    covered = json.dumps({"points": [{"n": 1, "verdict": "covered"}], "red_flags": []})

    def llm(relation: str) -> FakeLLM:
        return FakeLLM(lambda m: json.dumps({"relation": relation}) if "Reference statement" in m[-1]["content"]
                       else covered)

    for relation, capped in (("contradict", True), ("agree", False), ("unrelated", False)):
        fake = llm(relation)
        g = Grader(fake, bank=QuestionBank(items=[item]), llm_follow_up=False, verify_pairs=True).grade(
            item.question, wrong, item=item)
        assert (g.score <= 3) == capped and ("conflict" in g.flags) == capped, relation
        assert len(fake.calls) == 2  # the grade call + one focused question
    fake = llm("contradict")
    Grader(fake, bank=QuestionBank(items=[item]), llm_follow_up=False, verify_pairs=True).grade(
        item.question, "Сильная LLM оценивает outputs другой модели.", item=item)
    assert len(fake.calls) == 1  # nothing suspicious: no extra call
    fake = llm("contradict")
    g = Grader(fake, bank=QuestionBank(items=[item]), llm_follow_up=False).grade(item.question, wrong, item=item)
    assert len(fake.calls) == 1 and "conflict" not in g.flags  # off by default: the 1.5B model cannot tell


def test_partly_with_every_number_and_acronym_stated_counts_as_covered() -> None:
    from tutor.grading.schema import Judgement, PointJudgement
    from tutor.grading.score import states_facts, verify_points

    point = "GQA: grouped heads, <1% loss, best balance"
    right = "GQA — компромисс: группы голов делят K/V, потеря качества меньше 1%."
    assert states_facts(point, right)
    assert not states_facts(point, "GQA — компромисс между MHA и MQA.")          # the number is missing
    assert not states_facts(point, "Группы голов делят K/V, потеря меньше 1%.")   # the acronym is missing
    assert not states_facts("MHA: full heads, max quality", "В MHA у каждой головы свои K и V.")  # nothing to check
    j = Judgement(points=[PointJudgement(n=1, verdict="partly")])
    assert verify_points([point], j, [right])[0].verdict == "covered"
    assert verify_points([point], j, ["GQA — компромисс между MHA и MQA."])[0].verdict == "partly"


def test_partly_that_restates_the_point_counts_as_covered() -> None:
    from tutor.grading.schema import Judgement, PointJudgement
    from tutor.grading.score import restates, verify_points

    point = "Лучше дообучать на длинных примерах."
    said = "Поэтому лучше дообучить (например, LoRA) на длинных примерах и аккуратно подобрать коэффициенты."
    assert restates(point, said)
    assert not restates(point, "Дообучать на длинных примерах не нужно.")       # adds a negation
    assert not restates(point, "Лучше взять модель побольше.")                  # one word of four
    assert not restates("KV cache", "KV cache ускоряет decode.")                 # too short to judge by words
    j = Judgement(points=[PointJudgement(n=1, verdict="partly")])
    assert verify_points([point], j, [said])[0].verdict == "covered"
    assert verify_points([point], j, ["Лучше взять модель побольше."])[0].verdict == "partly"


def test_replay_llm_reuses_identical_temperature_zero_requests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.fakes import FakeLLM
    from tutor.grading.calibration import ReplayLLM
    from tutor.grading.schema import PairCheck

    inner = FakeLLM(lambda m: json.dumps({"relation": "agree"}))
    msgs = [{"role": "user", "content": "Reference statement: A"}]
    first = ReplayLLM(inner, tmp_path / "r.jsonl")
    assert first.structured(msgs, PairCheck, purpose="v").relation == "agree"
    again = ReplayLLM(inner, tmp_path / "r.jsonl")          # a new run reading the recording
    assert again.structured(msgs, PairCheck, purpose="v").relation == "agree"
    assert len(inner.calls) == 1 and again.hits == 1
    again.structured([{"role": "user", "content": "Reference statement: B"}], PairCheck, purpose="v")
    assert len(inner.calls) == 2 and again.misses == 1     # a changed request goes to the model


def test_llm_cannot_show_omission_or_quoted_red_flags() -> None:
    from tutor.grading.schema import FlagJudgement, Judgement
    from tutor.grading.score import is_omission, verify_red_flags

    flags = ["Не упоминает блоковую разметку.", "Omits paging detail.", "Называет это «новым видом внимания».",
             "Путает dtype и байты на элемент."]
    assert [is_omission(f) for f in flags] == [True, True, False, False]
    all_shown = Judgement(points=[], red_flags=[FlagJudgement(n=n, shown=True) for n in (1, 2, 3, 4)])
    assert verify_red_flags(flags, all_shown, ["ev"] * 4) == ["Путает dtype и байты на элемент."]


def test_quoted_red_flag_hit_is_listed_and_caps_the_score() -> None:
    from tutor.grading.schema import Judgement, PointJudgement
    from tutor.grading.score import score_judgement

    flag = "«Всегда быстрее, ставь и не думай»."
    hits = quoted_red_flags("Speculative decoding всегда быстрее, ставь и не думай.", [flag])
    j = Judgement(points=[PointJudgement(n=1, verdict="covered")])
    scored = score_judgement(["Драфтер предлагает токены"], [flag], j, ["Драфтер предлагает токены, большая проверяет."],
                             [""], conflicts=hits)
    assert scored.red_flags == [flag] and scored.score <= 3 and scored.errors == []


def test_covered_point_whose_facts_are_all_absent_is_partly() -> None:
    from tutor.grading.schema import Judgement, PointJudgement
    from tutor.grading.score import misses_facts, states_facts, verify_points

    generic = "Continuous batching позволяет не ждать завершения батча и повышает throughput."
    assert misses_facts("Результат: 2-10x throughput improvement.", generic)
    assert misses_facts("vLLM и TGI используют continuous batching.", generic)
    assert not misses_facts("Результат: 2-10x throughput improvement.", "Throughput растёт в 2-10 раз.")
    assert not misses_facts("Ускоряет обучение в 2x.", "Ускоряет обучение примерно в 2 раза.")  # one fact is enough
    assert not misses_facts("Добавляет новые запросы по мере завершения старых.", generic)  # nothing to check
    # versions are facts too: 'FP16 ... FP32' stated -> a 'partly' is covered
    assert states_facts("Uses FP16 for forward and FP32 for master weights.", "forward в FP16, master weights в FP32.")
    j = Judgement(points=[PointJudgement(n=1, verdict="covered")])
    assert verify_points(["Результат: 2-10x throughput improvement."], j, [generic])[0].verdict == "partly"
