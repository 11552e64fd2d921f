"""Score one answer: the RAGAS-style LLM metrics (via the Judge) and the non-LLM variants
(embeddings and gold chunk ids) that are always available."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from evals.judge import Judge
from evals.metrics import answers as am
from evals.metrics import retrieval as rm
from tutor.core.errors import LLMError
from tutor.core.ports import Embedder
from tutor.text.similarity import cosine

LLM_METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall",
               "answer_correctness")
EMBED_METRICS = ("answer_context_similarity", "answer_reference_similarity",
                 "context_precision_gold", "context_recall_gold")


class EvalCase(BaseModel):
    """What one answered golden question looks like to the metrics."""

    question: str
    answer: str
    contexts: list[str] = Field(description="Retrieved chunk texts in rank order, as given to the model.")
    context_ids: list[str] = Field(default_factory=list)
    reference: str = ""
    gold_ids: list[str] = Field(default_factory=list)


def embedding_metrics(case: EvalCase, embedder: Embedder) -> dict[str, am.Score]:
    """Non-LLM variants: cosine(answer, best context), cosine(answer, reference), gold-id AP/recall."""
    out: dict[str, am.Score] = {}
    if case.answer.strip() and case.contexts:
        vecs = embedder.embed_documents([case.answer, *case.contexts])
        out["answer_context_similarity"] = am.Score(
            value=max(max(0.0, cosine(vecs[0], v)) for v in vecs[1:]))
    else:
        out["answer_context_similarity"] = am.Score.none("empty answer or no retrieved context")
    if case.answer.strip() and case.reference.strip():
        a, r = embedder.embed_documents([case.answer, case.reference])
        out["answer_reference_similarity"] = am.similarity(a, r, "answer vs reference")
    else:
        out["answer_reference_similarity"] = am.Score.none("empty answer or no reference")
    rels = rm.id_relevance(case.context_ids, case.gold_ids)
    out["context_precision_gold"] = am.average_precision(rels) if case.gold_ids else \
        am.Score.none("no gold chunk ids")
    recall = rm.recall_at_k(rels, len(rels), len(set(case.gold_ids)))
    out["context_recall_gold"] = am.Score(value=recall) if recall is not None else \
        am.Score.none("no gold chunk ids")
    return out


def _relevancy(judge: Judge, embedder: Embedder, case: EvalCase) -> am.Score:
    gen = judge.questions(case.answer)
    qs = [q for q in gen.questions if q.strip()]
    vecs = [embedder.embed_query(q) for q in [case.question, *qs]]
    return am.answer_relevancy(vecs[0], vecs[1:], [bool(gen.noncommittal)] * len(qs))


def _correctness(judge: Judge, embedder: Embedder, case: EvalCase, answer_claims: list[str],
                 reference_claims: list[str]) -> am.Score:
    if not reference_claims:
        return am.Score.none("the judge found no claims in the reference answer")
    if answer_claims:
        tp, fp, fn = judge.correctness(case.question, answer_claims, reference_claims)
    else:
        tp, fp, fn = 0, 0, len(reference_claims)
    a, r = embedder.embed_documents([case.answer, case.reference])
    return am.answer_correctness(tp, fp, fn, max(0.0, cosine(a, r)))


class _Claims:
    """Claims extracted once per text and shared by the metrics that need them."""

    def __init__(self, judge: Judge, question: str) -> None:
        self.judge, self.question = judge, question
        self._memo: dict[str, list[str]] = {}

    def of(self, text: str) -> list[str]:
        if text not in self._memo:
            self._memo[text] = self.judge.claims(self.question, text) if text.strip() else []
        return self._memo[text]


def llm_metrics(case: EvalCase, judge: Judge, embedder: Embedder,
                metrics: Sequence[str] = LLM_METRICS) -> dict[str, am.Score]:
    """The five RAGAS-style metrics. An LLM failure affects only the metrics that needed that
    call: they get None with the reason."""
    if not case.answer.strip():
        return {m: am.Score(value=0.0, reason="empty answer") if m == "answer_relevancy"
                else am.Score.none("empty answer") for m in metrics}
    claims = _Claims(judge, case.question)
    steps = {
        "faithfulness": lambda: am.faithfulness(judge.supported(claims.of(case.answer), case.contexts))
        if case.contexts else am.Score.none("no retrieved context"),
        "answer_relevancy": lambda: _relevancy(judge, embedder, case),
        "context_precision": lambda: am.average_precision(
            judge.useful(case.question, case.reference, case.contexts))
        if case.reference else am.Score.none("no reference answer"),
        "context_recall": lambda: am.context_recall(judge.attributed(claims.of(case.reference),
                                                                     case.contexts))
        if case.contexts else am.Score.none("no retrieved context"),
        "answer_correctness": lambda: _correctness(judge, embedder, case, claims.of(case.answer),
                                                   claims.of(case.reference)),
    }
    out: dict[str, am.Score] = {}
    for name in metrics:
        try:
            out[name] = steps[name]()
        except LLMError as err:
            out[name] = am.Score.none(f"judge failed: {err}")
    return out
