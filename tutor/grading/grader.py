"""The grader: question + candidate answer (+ bank item / retrieved context) -> Grade.

Flow: empty? -> 0, no LLM call. Truncate, cut instructions aimed at the grader, find the bank item
(given, exact question text, else retrieval), make sure it has key points (derived once, cached),
run the deterministic checks (copy of the question, off-topic, swapped terms / numbers against the
reference), ask the LLM for per-point verdicts with quotes (JSON schema, temperature 0), then let
Python verify the quotes and compute the score. Feedback and model answer are built from the
verdicts; the follow-up question is a tiny LLM call aimed at the biggest gap.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from tutor.crosscheck import mixups
from tutor.errors import InputError, LLMError, TutorError
from tutor.grading import checks, feedback
from tutor.grading.consistency import Conflict, find_conflicts
from tutor.grading.contradictions import find_contradictions, suspicious_pairs
from tutor.grading.evidence import memo_vectors, pick_evidence
from tutor.grading.schema import Grade, Judgement, PairCheck, judgement_schema
from tutor.grading.score import score_judgement
from tutor.grading.sources import Sources, resolve_sources
from tutor.keypoints import KeyPointCache, ensure_key_points, reference_statements
from tutor.ports import ChatLLM, Embedder, Message, Searcher
from tutor.prompting import render
from tutor.repetition import drop_repeats
from tutor.types import BankItem, Hit

if TYPE_CHECKING:  # pragma: no cover
    from tutor.services import Services

MAX_REFERENCE_CHARS = 600
OFF_TOPIC_SIMILARITY = 0.30   # EmbeddingGemma cosine answer vs question+reference (docs/grading.md)
OFF_TOPIC_OVERLAP = 0.08      # lexical fallback without an embedder
# Contradiction alignment falls back to embedding cosine for clauses with no shared wording; off
# until its threshold is measured on real vectors (lexical alignment found every labelled case).
ALIGN_WITH_EMBEDDINGS = False


class Grader:
    def __init__(self, llm: ChatLLM, *, embedder: Embedder | None = None, searcher: Searcher | None = None,
                 bank: Any = None, keypoints: KeyPointCache | None = None, max_answer_chars: int = 6000,
                 llm_follow_up: bool = True, verify_pairs: bool = False) -> None:
        self.llm = llm
        self.verify_pairs = verify_pairs
        self.embedder = embedder
        self.searcher = searcher
        self.bank = bank
        self.keypoints = keypoints
        self.max_answer_chars = max_answer_chars
        self.llm_follow_up = llm_follow_up

    @classmethod
    def from_services(cls, services: Services, *, llm_follow_up: bool = True) -> Grader:
        s = services.settings
        bank = _optional(lambda: services.bank)
        searcher = _optional(lambda: services.retriever)
        return cls(services.llm, embedder=services.embedder, searcher=searcher, bank=bank,
                   keypoints=KeyPointCache(s.sqlite_path), max_answer_chars=s.max_answer_chars,
                   llm_follow_up=llm_follow_up)

    # --- public --------------------------------------------------------------------------------
    def grade(self, question: str, answer: str, *, item: BankItem | None = None,
              context: list[Hit] | None = None) -> Grade:
        if not question.strip():
            raise InputError("The question is empty: there is nothing to grade against.")
        t0 = time.perf_counter()
        lang = checks.detect_lang(answer if answer.strip() else question)
        text, truncated = checks.truncate(answer.strip(), self.max_answer_chars)
        text, removed = checks.strip_injections(text)
        flags = (["truncated"] if truncated else []) + (["injection"] if removed else [])
        if not text:
            flags.append("empty")
            return self._zero(question, text, lang, flags, item)
        src = resolve_sources(question, item, self.bank, self.searcher, context)
        src.rubric = ensure_key_points(src.rubric, self.llm, self.keypoints)
        src.lang = lang
        timings = {"prepare": time.perf_counter() - t0}
        return self._judge(question, text, lang, flags + src.flags, src, timings)

    def explain(self, grade: Grade, ask: str) -> str:
        """Answer a question about a grade ('why did I lose points on X?'), grade kept in context."""
        if not ask.strip():
            raise InputError("Ask something about the grade, e.g. 'why did I lose points on X?'.")
        summary = grade.model_dump_json(include={"score", "points", "red_flags", "factual_errors", "flags"})
        prompt = render("followup_explain", question=grade.question, reference=grade.model_answer,
                        grade=summary, ask=ask, lang=grade.lang)
        out = self.llm.complete([{"role": "user", "content": prompt}], purpose="grade_explain",
                                max_tokens=250).strip()
        return drop_repeats(out)  # a sentence written twice is kept once, as in answers

    # --- steps ---------------------------------------------------------------------------------
    def _judge(self, question: str, text: str, lang: str, flags: list[str], src: Sources,
               timings: dict[str, float]) -> Grade:
        key_points, red_flags = src.key_points, src.red_flags
        copied = checks.copies_question(text, question)
        off_topic = not copied and self._off_topic(text, question, src.reference)
        # one grade embeds each text once (answer sentences serve key points and red flags alike)
        vectors = memo_vectors(self.embedder.embed_documents) if self.embedder is not None else None
        align_vectors = vectors if ALIGN_WITH_EMBEDDINGS else None
        conflicts = deterministic_conflicts(text, question, src, align_vectors)
        t = time.perf_counter()
        conflicts = _merge(conflicts, self._verify(text, src.reference, key_points, align_vectors, conflicts))
        timings["verify"] = time.perf_counter() - t
        sents = checks.sentences(text)
        point_ev = pick_evidence(key_points, sents, vectors, clauses=True)
        flag_ev = pick_evidence(red_flags, sents, vectors)
        t = time.perf_counter()
        judgement = self._ask(question, src.reference, key_points, point_ev, red_flags, flag_ev)
        timings["judge"] = time.perf_counter() - t
        scored = score_judgement(key_points, red_flags, judgement, point_ev, flag_ev, off_topic=off_topic,
                                 copied=copied, conflicts=conflicts)
        flags = flags + scored.flags
        t = time.perf_counter()
        follow_up = self._follow_up(question, lang, scored.points)
        timings["follow_up"] = time.perf_counter() - t
        timings["total"] = sum(timings.values())
        return Grade(
            question=question, question_id=src.item.id if src.item else "",
            topic=src.item.topic if src.item else "", level=src.item.level if src.item else None,
            answer=text, score=scored.score, points=scored.points, red_flags=scored.red_flags,
            factual_errors=scored.errors, lang=lang,  # type: ignore[arg-type]
            feedback=feedback.build_feedback(lang, scored.score, scored.points, scored.red_flags,
                                             scored.errors, flags, self.max_answer_chars),
            model_answer=feedback.model_answer(src.reference, src.citations), citations=src.citations,
            follow_up=follow_up, flags=flags, timings={k: round(v, 3) for k, v in timings.items()})

    def _ask(self, question: str, reference: str, key_points: list[str], point_ev: list[str],
             red_flags: list[str], flag_ev: list[str]) -> Judgement:
        """One LLM call judging every (key point, evidence) pair; none when nothing has evidence."""
        pairs = [{"point": p, "evidence": e} for p, e in zip(key_points, point_ev, strict=True) if e]
        flags = [{"point": f, "evidence": e} for f, e in zip(red_flags, flag_ev, strict=True) if e]
        if not pairs and not flags:
            return Judgement(points=[])
        reference, _ = checks.truncate(reference, MAX_REFERENCE_CHARS)
        messages: list[Message] = [
            {"role": "system", "content": render("grade_system")},
            {"role": "user", "content": render("grade", question=question, reference=reference,
                                               pairs=pairs, flags=flags)},
        ]
        out = self.llm.structured(messages, judgement_schema(len(pairs), len(flags)), purpose="grade",
                                  max_tokens=80 + 24 * len(pairs) + 20 * len(flags), temperature=0.0)
        return renumber(out, point_ev, flag_ev)

    def _verify(self, text: str, reference: str, key_points: list[str], vectors: Any,
                found: list[Conflict]) -> list[Conflict]:
        """A focused LLM question per suspicious pair (the answer's subject is the opposite of the
        statement's, e.g. 'weak model judges the strong one'): agree / contradict / unrelated.
        None when a conflict is already found (the score is capped anyway). Off by default
        (``verify_pairs``): the 1.5B model answered 'contradict' for all 3 suspicious pairs of the
        labelled set, 2 of them correct statements (docs/grading.md)."""
        if found or not self.verify_pairs:
            return []
        out = []
        for clause, stmt in suspicious_pairs(text, reference, key_points, limit=1, vectors=vectors):
            prompt = render("verify", reference=stmt, statement=clause)
            messages: list[Message] = [{"role": "system", "content": render("grade_system")},
                                       {"role": "user", "content": prompt}]
            check = self.llm.structured(messages, PairCheck, purpose="grade_verify", max_tokens=20,
                                        temperature=0.0)
            if check.relation == "contradict":
                out.append(Conflict(clause=clause, reference=stmt, kind="llm"))
        return out

    def _off_topic(self, text: str, question: str, reference: str) -> bool:
        if self.embedder is None:
            return checks.overlap(text, question + " " + reference) < OFF_TOPIC_OVERLAP
        a, b = self.embedder.embed_documents([text, question + "\n" + reference])
        return _cos(a, b) < OFF_TOPIC_SIMILARITY

    def _follow_up(self, question: str, lang: str, points: list[Any]) -> str:
        if not self.llm_follow_up:
            return feedback.template_follow_up(lang, points)
        return self.follow_up_question(question, lang, points)

    def follow_up_question(self, question: str, lang: str, points: list[Any]) -> str:
        """The interviewer's next question, aimed at the biggest gap of a grade's points: a tiny LLM
        call, or the template for a contradiction / no gap / an LLM failure. The UI shows a grade
        first (graded with ``llm_follow_up=False``) and asks this afterwards."""
        gap = feedback.biggest_gap(points)
        if gap is None or gap.verdict == "contradicted":
            return feedback.template_follow_up(lang, points)
        prompt = render("followup", question=question, point=gap.point, lang=lang)
        try:
            out = self.llm.complete([{"role": "user", "content": prompt}], purpose="follow_up",
                                    max_tokens=60).strip().strip('"')
        except LLMError:
            out = ""
        return out.splitlines()[0] if out else feedback.template_follow_up(lang, points)

    def _zero(self, question: str, text: str, lang: str, flags: list[str], item: BankItem | None) -> Grade:
        return Grade(question=question, question_id=item.id if item else "", topic=item.topic if item else "",
                     level=item.level if item else None, answer=text, score=0.0, lang=lang,  # type: ignore[arg-type]
                     feedback=feedback.build_feedback(lang, 0.0, [], [], [], flags, self.max_answer_chars),
                     model_answer=item.reference_answer if item else "", flags=flags,
                     follow_up=question)


def salient_points(question: str, reference: str, key_points: list[str]) -> list[str]:
    """The text whose terms 'matter' to the term-swap check: the question and the key points in the
    reference's language (an English key point would make every English word of a Russian answer
    a 'term'), but not points copied verbatim from the reference (the top-up of derived points):
    those would make every incidental term of the reference salient, and a correct answer that
    says 'выход' for 'output' next to the formula was flagged as a swap (strong MoE answer 0.3)."""
    ref_lang = checks.detect_lang(reference)
    copied = set(reference_statements(reference))  # what top_up adds (markup stripped)
    return [question] + [p for p in key_points if checks.detect_lang(p) == ref_lang
                         and p not in copied and p.strip() not in reference]


def renumber(j: Judgement, point_ev: list[str], flag_ev: list[str]) -> Judgement:
    """The prompt numbers only the points that have evidence; map those numbers back to the
    positions in the full key-point / red-flag lists."""
    pmap = [i + 1 for i, e in enumerate(point_ev) if e]
    fmap = [i + 1 for i, e in enumerate(flag_ev) if e]
    return Judgement(
        points=[p.model_copy(update={"n": pmap[p.n - 1]}) for p in j.points if 1 <= p.n <= len(pmap)],
        red_flags=[f.model_copy(update={"n": fmap[f.n - 1]}) for f in j.red_flags if 1 <= f.n <= len(fmap)])


def deterministic_conflicts(text: str, question: str, src: Sources, align_vectors: Any = None) -> list[Conflict]:
    """The Python-only conflict checks of one answer, one conflict per answer clause (earlier finders
    win): swapped terms / numbers / negations, contradictions of the reference, comparison mix-ups.
    Salient terms are the question's and those of key points in the reference's language (an
    English key point would make every English word of a Russian answer a 'term')."""
    salient = salient_points(question, src.reference, src.key_points)
    return _merge(find_conflicts(text, src.reference, "\n".join(salient)),
                  find_contradictions(text, src.reference, src.key_points, src.red_flags, align_vectors,
                                      question=question),
                  mixup_conflicts(text, question, src))


def mixup_conflicts(text: str, question: str, src: Sources) -> list[Conflict]:
    """A comparison answer crediting one rival with a term the reference and the retrieved notes
    only state of another ('AWQ использует Hessian' for GPTQ vs AWQ): tutor.crosscheck."""
    texts = [src.reference] + [c.text for c in src.citations] + src.notes
    return [Conflict(clause=m.part, reference=m.evidence, kind="mixup")
            for m in mixups(text, question, list(enumerate(texts)))]


def _merge(first: list[Conflict], *more: list[Conflict]) -> list[Conflict]:
    """Conflicts of several finders, one per answer clause (the first finder's wins)."""
    out = list(first)
    for c in (c for group in more for c in group):
        if all(c.clause != d.clause for d in out):
            out.append(c)
    return out


def _optional(build: Any) -> Any:
    """A piece the grader can do without (no bank built, store busy or not ingested) -> None."""
    try:
        return build()
    except TutorError:
        return None


def _cos(a: list[float], b: list[float]) -> float:
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(x * x for x in b)) or 1.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)
