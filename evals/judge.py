"""The LLM judge: RAGAS-style steps 1-2 (claims, verdicts). Each step is one structured call
with a pydantic schema; list lengths are fixed in the JSON schema so verdicts line up with claims.
Python (``evals.metrics.answers``) turns verdicts into scores.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from tutor.core.ports import ChatLLM, Message
from tutor.core.prompting import render

MAX_CLAIMS = 6
N_QUESTIONS = 3  # RAGAS "strictness"
CHUNK_CHARS = 1200  # each context chunk is cut to this many characters for the judge


class Claims(BaseModel):
    claims: list[str] = Field(max_length=MAX_CLAIMS)


class GeneratedQuestions(BaseModel):
    # each question bounded: a 1.5B judge can loop inside one string until max_tokens cuts the JSON
    questions: list[Annotated[str, Field(max_length=200)]] = Field(min_length=N_QUESTIONS,
                                                                   max_length=N_QUESTIONS)
    noncommittal: Literal[0, 1]


class Correctness(BaseModel):
    answer_verdicts: list[Literal[0, 1]]
    reference_verdicts: list[Literal[0, 1]]


def _fixed_list(n: int) -> Any:
    return Annotated[list[Literal[0, 1]], Field(min_length=n, max_length=n)]


def verdicts_model(n: int) -> type[BaseModel]:
    """A schema with exactly n 0/1 verdicts: {"verdicts": [1, 0, ...]}."""
    return create_model(f"Verdicts{n}", verdicts=(_fixed_list(n), ...))


def correctness_model(n_answer: int, n_reference: int) -> type[Correctness]:
    return create_model(f"Correctness{n_answer}x{n_reference}", __base__=Correctness,
                        answer_verdicts=(_fixed_list(n_answer), ...),
                        reference_verdicts=(_fixed_list(n_reference), ...))


def numbered(items: list[str]) -> str:
    """['a', 'b'] -> '1. a\\n2. b'"""
    return "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))


def join_context(contexts: list[str]) -> str:
    return "\n\n".join(f"[{i}] {c[:CHUNK_CHARS]}" for i, c in enumerate(contexts, 1))


class Judge:
    """Wraps any ChatLLM (the embedded model by default, or a bigger one via --judge-url)."""

    def __init__(self, llm: ChatLLM) -> None:
        self.llm = llm

    def _messages(self, prompt: str, **variables: object) -> list[Message]:
        return [{"role": "system", "content": render("judge_system", package="evals")},
                {"role": "user", "content": render(prompt, package="evals", **variables)}]

    def claims(self, question: str, text: str) -> list[str]:
        """Step 1: atomic claims of an answer (or of a reference)."""
        if not text.strip():
            return []
        out = self.llm.structured(self._messages("claims", question=question, answer=text,
                                                 max_claims=MAX_CLAIMS),
                                  Claims, purpose="eval.claims", max_tokens=600)
        return [c.strip() for c in out.claims if c.strip()]

    def _flags(self, prompt: str, n: int, purpose: str, **variables: object) -> list[int]:
        schema = verdicts_model(n)
        out = self.llm.structured(self._messages(prompt, **variables), schema, purpose=purpose,
                                  max_tokens=40 + 6 * n)
        return list(out.verdicts)  # type: ignore[attr-defined]

    def supported(self, claims: list[str], contexts: list[str]) -> list[int]:
        """Step 2 (faithfulness): 1 per answer claim the context supports."""
        if not claims:
            return []
        return self._flags("faithfulness", len(claims), "eval.faithfulness", claims=claims,
                           numbered=numbered(claims), context=join_context(contexts))

    def attributed(self, reference_claims: list[str], contexts: list[str]) -> list[int]:
        """Step 2 (context recall): 1 per reference claim found in the context."""
        if not reference_claims:
            return []
        return self._flags("context_recall", len(reference_claims), "eval.context_recall",
                           claims=reference_claims, numbered=numbered(reference_claims),
                           context=join_context(contexts))

    def useful(self, question: str, reference: str, contexts: list[str]) -> list[int]:
        """Step 2 (context precision): 1 per retrieved chunk useful for the reference answer."""
        if not contexts:
            return []
        return self._flags("context_precision", len(contexts), "eval.context_precision",
                           question=question, reference=reference,
                           chunks=[c[:CHUNK_CHARS] for c in contexts])

    def questions(self, answer: str) -> GeneratedQuestions:
        """Step 2 (answer relevancy): questions the answer would answer + noncommittal flag."""
        return self.llm.structured(self._messages("questions", answer=answer, n=N_QUESTIONS),
                                   GeneratedQuestions, purpose="eval.questions", max_tokens=400)

    def correctness(self, question: str, answer_claims: list[str],
                    reference_claims: list[str]) -> tuple[int, int, int]:
        """Step 2 (answer correctness): (TP, FP, FN) claim counts."""
        schema = correctness_model(len(answer_claims), len(reference_claims))
        out = self.llm.structured(
            self._messages("correctness", question=question, answer_claims=answer_claims,
                           reference_claims=reference_claims,
                           answer_numbered=numbered(answer_claims),
                           reference_numbered=numbered(reference_claims)),
            schema, purpose="eval.correctness",
            max_tokens=60 + 6 * (len(answer_claims) + len(reference_claims)))
        tp = sum(out.answer_verdicts)
        fn = len(out.reference_verdicts) - sum(out.reference_verdicts)
        return tp, len(out.answer_verdicts) - tp, fn
