"""The grader: question + candidate answer -> Grade.

question -> bank item (any phrasing: tutor.retrieval.bank_index) -> its rubric (data built at ingest)
-> per key point: the answer's closest sentences by multilingual embedding (tutor.grading.evidence)
-> the LLM judges each (point, evidence) pair through the point's probe (tutor.grading.judge)
-> Python computes the score (tutor.grading.score) -> a follow-up aimed at the biggest gap.

Before any of it: an empty answer is 0 (no LLM call); a bare list of terms states nothing, so it
covers no point (flag 'term_list'). A sentence giving a number the notes never give for the question
(nor a product or quotient of two of theirs: tutor.text.numbers.unverified_numbers) is listed as an
error and counts as one contradicted point in the score (flag 'unverified_numbers'): the rubric
asks about a few facts, an invented figure elsewhere is still a wrong statement. Instructions aimed
at the grader get no special rule: the answer is data between delimiters, evidence is chosen by
meaning and each probe asks what the answer says (a regex for them fired on 2 of 50 correct tune
answers: "Rate relevance 1-10"; an embedding detector on 8 of 78 strong test answers; docs/grading.md).
A grade that cannot be computed (no rubric, the LLM failing) raises GradingError: never a silent 0.
"""

from __future__ import annotations

import time
from typing import Any

from tutor.core.errors import GradingError, InputError, LLMError
from tutor.core.ports import ChatLLM, Embedder, Searcher
from tutor.core.prompting import render
from tutor.core.types import BankItem, KeyPoint
from tutor.grading import checks, feedback
from tutor.grading.evidence import Evidence, memo_vectors, pick_evidence
from tutor.grading.judge import Reading, read_probe
from tutor.grading.schema import Grade, PointResult, Verdict
from tutor.grading.score import compute_score
from tutor.grading.sources import Sources, notes_text, resolve
from tutor.grading.thresholds import GradingThresholds
from tutor.llm.repetition import drop_repeats
from tutor.text.language import detect_lang
from tutor.text.numbers import derivable, unverified_numbers
from tutor.text.sentences import sentences
from tutor.text.words import words

_VERDICT: dict[str, Verdict] = {"supports": "covered", "contradicts": "contradicted", "unrelated": "missed"}


class Grader:
    def __init__(self, llm: ChatLLM, *, embedder: Embedder | None = None, searcher: Searcher | None = None,
                 bank: Any = None, index: Any = None, max_answer_chars: int = 6000,
                 llm_follow_up: bool = True, thresholds: GradingThresholds | None = None) -> None:
        """``index``: the bank-question index (tutor.retrieval.bank_index.QuestionIndex) or None."""
        self.llm = llm
        self.embedder = embedder
        self.searcher = searcher
        self.bank = bank
        self.index = index
        self.max_answer_chars = max_answer_chars
        self.llm_follow_up = llm_follow_up
        self.thresholds = thresholds or GradingThresholds()

    # --- public --------------------------------------------------------------------------------
    def match(self, question: str) -> Any:
        """The bank item a typed question asks (bank_index.Match) or None."""
        if self.index is None or self.embedder is None:
            return None
        return self.index.match(self.embedder.embed_query(question))

    def grade(self, question: str, answer: str, *, item: BankItem | None = None, context: Any = None) -> Grade:
        if not question.strip():
            raise InputError("The question is empty: there is nothing to grade against.")
        t0 = time.perf_counter()
        lang = detect_lang(answer if answer.strip() else question)
        text, truncated = checks.truncate(answer.strip(), self.max_answer_chars)
        flags = ["truncated"] if truncated else []
        src = resolve(question, item, self.bank, self.match, self.searcher)
        if not src.rubric.key_points:
            raise GradingError(f"No rubric for '{src.item.question}': the notes give no statement to grade "
                               "against, so no score was computed.",
                               hint=f"Add key points with `tutor bank rubric {src.item.id} --edit`.")
        flags += [] if src.in_bank else ["no_bank_match"]
        timings = {"prepare": time.perf_counter() - t0}
        if not words(text):
            flags.append("empty")
            points = [PointResult(point=p.text, verdict="missed") for p in src.rubric.key_points]
            return self._grade(question, text, lang, src, points, flags, timings, ask=False)
        if checks.is_term_list(text):
            flags.append("term_list")
            points = [PointResult(point=p.text, verdict="missed") for p in src.rubric.key_points]
            return self._grade(question, text, lang, src, points, flags, timings, ask=False)
        known = derivable(notes_text(src.item, src.rubric, question))
        unverified = [(s, found) for s in sentences(text, semicolons=True) if (found := unverified_numbers(s, known))]
        if unverified:
            flags.append("unverified_numbers")
        t = time.perf_counter()
        evidence = self._evidence(src.rubric.key_points, text)
        timings["evidence"] = time.perf_counter() - t
        t = time.perf_counter()
        points = [self._judge(p, ev) for p, ev in zip(src.rubric.key_points, evidence, strict=True)]
        timings["judge"] = time.perf_counter() - t
        return self._grade(question, text, lang, src, points, flags, timings, unverified=unverified)

    def explain(self, grade: Grade, ask: str) -> str:
        """Answer a question about a grade ('why did I lose points on X?'), grade kept in context."""
        if not ask.strip():
            raise InputError("Ask something about the grade, e.g. 'why did I lose points on X?'.")
        summary = grade.model_dump_json(include={"score", "points", "red_flags", "flags"})
        prompt = render("followup_explain", question=grade.question, reference=grade.model_answer,
                        grade=summary, ask=ask, lang=grade.lang)
        out = self.llm.complete([{"role": "user", "content": prompt}], purpose="grade_explain",
                                max_tokens=250).strip()
        return drop_repeats(out)

    def follow_up_question(self, question: str, lang: str, points: list[Any]) -> str:
        """The interviewer's next question about the biggest gap: a tiny LLM call whose reply is kept
        only when it is a real question about that point (feedback.real_question), else the template."""
        gap = feedback.biggest_gap(points)
        if gap is None or gap.verdict == "contradicted":
            return feedback.template_follow_up(lang, points)
        prompt = render("followup", question=question, point=gap.point, lang=lang)
        try:
            out = self.llm.complete([{"role": "user", "content": prompt}], purpose="follow_up", max_tokens=60)
        except LLMError:
            out = ""
        asked = feedback.real_question(out, gap.point)
        return asked or feedback.template_follow_up(lang, points)

    # --- steps ---------------------------------------------------------------------------------
    def _evidence(self, key_points: list[KeyPoint], text: str) -> list[Evidence]:
        if self.embedder is None:
            raise GradingError("Grading needs the embedding model to find the answer's evidence.")
        vectors = memo_vectors(self.embedder.embed_documents)
        return pick_evidence([p.text for p in key_points], text, vectors, min_cosine=self.thresholds.evidence_min,
                             top=self.thresholds.evidence_top)

    def _judge(self, point: KeyPoint, ev: Evidence) -> PointResult:
        if not ev.text:
            return PointResult(point=point.text, verdict="missed", similarity=round(ev.cosine, 3))
        if point.probe is None:
            verdict: Verdict = "covered" if ev.cosine >= self.thresholds.cover_min else "missed"
            return PointResult(point=point.text, verdict=verdict, evidence=ev.text if verdict == "covered" else "",
                               similarity=round(ev.cosine, 3))
        try:
            reading: Reading = read_probe(self.llm, ev.text, point.probe, self.thresholds)
        except LLMError as err:
            raise GradingError(f"The model could not judge the answer ({err}); no score was computed and "
                               "nothing was stored.", hint="Try again in a moment.") from err
        verdict = _VERDICT[reading.verdict(self.thresholds)]
        return PointResult(point=point.text, verdict=verdict, evidence=ev.text if verdict != "missed" else "",
                           similarity=round(ev.cosine, 3),
                           probe={"right": round(reading.right, 3), "wrong": round(reading.wrong, 3),
                                  "none": round(reading.none, 3), "calls": reading.calls})

    def _grade(self, question: str, text: str, lang: str, src: Sources, points: list[PointResult],
               flags: list[str], timings: dict[str, float], *, ask: bool = True,
               unverified: list[tuple[str, list[str]]] | None = None) -> Grade:
        """``ask``: the follow-up may be an LLM call (not for an empty answer or a term list);
        ``unverified``: (sentence, its numbers the notes never give)."""
        unverified = unverified or []
        score = compute_score(points, unverified=bool(unverified))
        t = time.perf_counter()
        follow_up = (self.follow_up_question(question, lang, points) if self.llm_follow_up and ask
                     else feedback.template_follow_up(lang, points))
        timings["follow_up"] = time.perf_counter() - t
        timings["total"] = sum(timings.values())
        item = src.item
        errors = [f"«{p.evidence}» ↔ {p.point}" for p in points if p.verdict == "contradicted"]
        errors += [feedback.text(lang, "unverified", quote=s, numbers=", ".join(found)) for s, found in unverified]
        return Grade(
            question=question, question_id=item.id if src.in_bank else "", topic=item.topic,
            level=item.level, answer=text, score=score, points=points, red_flags=[],
            factual_errors=errors, lang=lang,  # type: ignore[arg-type]
            feedback=feedback.build_feedback(lang, score, points, [], errors, flags, self.max_answer_chars,
                                             matched=src.matched_question if src.how != "given" else ""),
            model_answer=feedback.model_answer(item.reference_answer or item.strong_answer, src.citations),
            citations=src.citations, follow_up=follow_up, flags=flags,
            matched_question=src.matched_question, match=src.how, match_score=src.match_score,
            rubric_origin=src.rubric.origin, rubric_red_flags=src.rubric.red_flags,
            timings={k: round(v, 3) for k, v in timings.items()})
