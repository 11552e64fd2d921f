"""The judge steps with the real default LLM and embedder on a few hand-made cases (slow)."""

from __future__ import annotations

import pytest

from evals.answer_eval import EvalCase, llm_metrics
from evals.judge import Judge
from evals.metrics import answers as am


@pytest.fixture(scope="module")
def judge(real_services):
    """The tutor's own LLM as judge, with a longer timeout (the CPU is shared in CI)."""
    from tutor.llm.client import LLMClient

    settings = real_services.settings.model_copy(update={"llm_timeout": 600.0})
    return Judge(LLMClient.from_settings(settings, base_url=real_services.llm_base_url))

CONTEXT = ["LoRA — метод parameter-efficient fine-tuning: исходные веса W заморожены, обучается "
           "добавка ΔW = BA, где B и A — матрицы низкого ранга r. Число обучаемых параметров падает "
           "в сотни раз. После обучения BA можно влить в W, поэтому задержки на инференсе нет."]


def test_faithfulness_verdicts_separate_supported_from_invented(judge):
    claims = ["LoRA замораживает исходные веса модели.",
              "LoRA обучает две матрицы низкого ранга.",
              "LoRA была изобретена компанией Apple в 2009 году для сжатия изображений."]
    verdicts = judge.supported(claims, CONTEXT)
    assert len(verdicts) == 3
    assert verdicts[2] == 0, verdicts
    assert sum(verdicts[:2]) >= 1, verdicts
    score = am.faithfulness(verdicts).value
    assert score is not None and score < 1.0


def test_noncommittal_answer_scores_zero_relevancy(judge, real_services):
    case = EvalCase(question="Что такое LoRA?", answer="Не знаю, в заметках об этом ничего нет.",
                    contexts=CONTEXT)
    s = llm_metrics(case, judge, real_services.embedder, metrics=("answer_relevancy",))
    committed = EvalCase(question="Что такое LoRA?", contexts=CONTEXT,
                         answer="LoRA — это метод дообучения: веса модели заморожены, а обучаются "
                                "две низкоранговые матрицы A и B.")
    s2 = llm_metrics(committed, judge, real_services.embedder, metrics=("answer_relevancy",))
    assert s2["answer_relevancy"].value is not None and s2["answer_relevancy"].value > 0.5
    assert s["answer_relevancy"].value is not None
    assert s["answer_relevancy"].value < s2["answer_relevancy"].value


def test_claims_extraction_gives_several_claims(judge):
    claims = judge.claims("Что такое LoRA?", "LoRA замораживает веса модели. Она обучает матрицы A и B "
                                             "низкого ранга. Это уменьшает число обучаемых параметров.")
    assert 2 <= len(claims) <= 6, claims
