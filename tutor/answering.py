"""Cited answers: (rewrite a follow-up) -> retrieve -> numbered sources in a token budget ->
streamed answer -> citations checked in Python.

When retrieval finds nothing relevant (best dense cosine below ``settings.min_relevance``) the tutor
says the notes don't cover it, in the question's language, without calling the LLM.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import Literal

from pydantic import BaseModel, Field

from tutor.attribution import Attributor, place_marker
from tutor.citations import check_citations, fit_sources, notes_excerpt, sources_from_hits
from tutor.conversation import Turn, needs_rewrite, rewrite_query, trim_history
from tutor.crosscheck import mixups
from tutor.crosscheck import notes as mixup_notes
from tutor.errors import InputError, LLMOutputError
from tutor.language import detect_lang, phrase
from tutor.ports import ChatLLM, Message, Searcher
from tutor.prompting import render
from tutor.repetition import drop_repeats, looping
from tutor.settings import Settings
from tutor.types import Answer, Citation, Filters, Hit, Lang

log = logging.getLogger(__name__)
_MARKERS = re.compile(r"\s?\[\d+\]")  # old answers' [n] refer to old sources: hide them

# Prompt budget: prefill runs at ~60 tok/s on 2 cores, so every 600 prompt tokens cost ~10 s of
# time-to-first-token. See docs/answering.md for the measurements behind these numbers.
PROMPT_TOKENS = 1100        # system + sources + history + question (~18 s of prefill on a free CPU)
MAX_SOURCE_TOKENS = 350     # one source is cut to this many tokens (a Q/A chunk is ~150-450)
LOOP_CHECK_EVERY = 16       # deltas between loop checks when no sentence ends (a loop with no punctuation)
HISTORY_TOKENS = 200        # earlier conversation shown to the answerer (the query is standalone)
SAFETY_TOKENS = 64          # chat-template tokens the count does not see


def _may_end_loop(delta: str, n: int) -> bool:
    """Worth running the loop check now: a sentence or line just ended, or every few deltas."""
    return any(ch in delta for ch in ".!?…\n") or n % LOOP_CHECK_EVERY == 0


class AnswerEvent(BaseModel):
    """One step of a streamed answer; ``done`` is always last and carries the Answer."""

    kind: Literal["rewritten", "sources", "delta", "done"]
    text: str = Field("", description="rewritten: the standalone query; delta: a piece of text.")
    sources: list[Citation] = Field(default_factory=list, description="sources: numbered [1]..[k].")
    answer: Answer | None = None


class AnswerPromptInput(BaseModel):
    """Everything the answer prompt shows the model."""

    question: str
    standalone_query: str = ""
    language: str
    sources: list[Citation]
    history: list[Turn] = Field(default_factory=list)


def relevant_hits(hits: Sequence[Hit], min_relevance: float) -> list[Hit]:
    """Hits whose dense cosine reaches ``min_relevance`` (a hit without a dense score is kept:
    sparse-only retrieval cannot be judged by cosine). Rank order is kept."""
    return [h for h in hits if h.dense_score is None or h.dense_score >= min_relevance]


def focused_hits(hits: Sequence[Hit], floor: float, gap: float) -> list[Hit]:
    """The top hit, then the others whose dense cosine is >= ``floor`` and within ``gap`` of the
    best one: a far weaker hit only distracts a small model (it copies off-topic sources) and costs
    prefill time. Rank order is kept; hits without a dense score are kept.

    [0.78, 0.51, 0.37] with floor 0.35, gap 0.25 -> [0.78]; [0.55, 0.53, 0.34] -> [0.55, 0.53]."""
    if not hits:
        return []
    best = max((h.dense_score for h in hits if h.dense_score is not None), default=None)
    if best is None:
        return list(hits)
    keep = max(floor, best - gap)
    return [hits[0], *(h for h in hits[1:] if h.dense_score is None or h.dense_score >= keep)]


def question_lang(question: str, history: Sequence[Turn]) -> Lang:
    """Language of the question; a bare term ('GQA?') follows the conversation's last question."""
    last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    if last_user and len(question.split()) <= 2:
        return detect_lang(question + " " + last_user)
    return detect_lang(question)


class Tutor:
    def __init__(self, retriever: Searcher, llm: ChatLLM, settings: Settings, *,
                 prompt_tokens: int = PROMPT_TOKENS, attributor: Attributor | None = None) -> None:
        """``attributor`` (``Attributor(services.embedder)``) checks every claim against the
        sources after generation; without it only the [n] numbers are checked."""
        self.retriever = retriever
        self.llm = llm
        self.settings = settings
        self.prompt_tokens = prompt_tokens
        self.attributor = attributor

    def ask(self, question: str, history: list[Turn] | None = None,
            filters: Filters | None = None) -> Answer:
        """The whole answer at once (consumes ``stream``)."""
        for event in self.stream(question, history, filters):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise LLMOutputError("The answer stream ended without a result.")  # pragma: no cover

    def stream(self, question: str, history: list[Turn] | None = None,
               filters: Filters | None = None) -> Iterator[AnswerEvent]:
        question = " ".join(question.split())
        if not question:
            raise InputError("The question is empty.", hint="Type a question about your notes.")
        history = list(history or [])
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        lang = question_lang(question, history)
        rewritten = ""
        if needs_rewrite(question, history):
            rewritten = rewrite_query(question, history, self.llm)
            timings["rewrite_s"] = time.perf_counter() - t0
            log.info("follow-up %r rewritten as %r", question, rewritten)
            yield AnswerEvent(kind="rewritten", text=rewritten)
        t1 = time.perf_counter()
        hits = self.retriever.search(rewritten or question, k=self.settings.top_k,
                                     mode=self.settings.retrieval_mode, filters=filters)
        timings["retrieve_s"] = time.perf_counter() - t1
        relevant = focused_hits(relevant_hits(hits, self.settings.min_relevance),
                                self.settings.source_floor, self.settings.source_gap)
        log.info("retrieved %d hits, %d relevant, best dense %.3f", len(hits), len(relevant),
                 max((h.dense_score or 0.0 for h in hits), default=0.0))
        base = Answer(question=question, rewritten_query=rewritten, text="", lang=lang)
        if not relevant:
            yield from self._not_covered(base, timings, t0)
            return
        sources, messages = self._prompt(question, rewritten, lang, relevant, history)
        stored = {h.chunk.chunk_id: h.vector for h in relevant if h.vector is not None}
        yield AnswerEvent(kind="sources", sources=sources)
        parts: list[str] = []
        looped = False
        t2 = time.perf_counter()
        with closing(self.llm.stream(messages, purpose="answer",
                                     max_tokens=self.settings.answer_max_tokens)) as deltas:
            for delta in deltas:
                if not parts:
                    timings["ttft_s"] = time.perf_counter() - t2
                parts.append(delta)
                yield AnswerEvent(kind="delta", text=delta)
                if _may_end_loop(delta, len(parts)) and looping("".join(parts)):
                    looped = True  # closing the stream stops the server's generation too
                    break
        timings["generate_s"] = time.perf_counter() - t2
        raw = "".join(parts)
        if looped:
            log.info("the model repeats itself: stream stopped after %d chars", len(raw))
        # a sentence the model wrote twice is kept once, looped or not (a repeated list block, an
        # echoed source header, a closing "In summary" copy of an earlier sentence)
        raw = drop_repeats(raw)
        yield AnswerEvent(kind="done", answer=self._finish(base, raw, sources, stored, timings, t0, looped))

    # --- steps ---------------------------------------------------------------------------------
    def _not_covered(self, base: Answer, timings: dict[str, float], t0: float) -> Iterator[AnswerEvent]:
        text = phrase("not_covered", base.lang)
        yield AnswerEvent(kind="sources", sources=[])
        yield AnswerEvent(kind="delta", text=text)
        timings["total_s"] = time.perf_counter() - t0
        yield AnswerEvent(kind="done", answer=base.model_copy(
            update={"text": text, "covered": False, "timings": timings}))

    def _finish(self, base: Answer, raw: str, sources: list[Citation], stored: dict[str, list[float]],
                timings: dict[str, float], t0: float, looped: bool = False) -> Answer:
        if not raw.strip():
            raise LLMOutputError("The model returned an empty answer.", raw=raw,
                                 hint="Ask again; if it keeps happening, check the LLM server.")
        checked = check_citations(raw, sources)
        if checked.removed:
            log.info("removed citations with no source: %s", checked.removed)
        text, citations, report = checked.text, checked.citations, {}
        if self.attributor is not None:
            att = self.attributor.attribute(text, sources, stored, base.rewritten_query or base.question)
            timings["attribute_s"] = att.seconds
            report = {"claims": att.claims, "uncited": att.uncited, **{
                a: sum(c.action == a for c in att.changes) for a in ("added", "moved", "dropped")}}
            log.info("citation check: %s in %.2f s; %s", report, att.seconds,
                     [c.model_dump(exclude_none=True) for c in att.changes])
            text = att.text
            citations = [s.model_copy(update={"origin": "matched" if s.n in att.matched else "model"})
                         for s in check_citations(text, sources).citations]
        found = mixups(text, base.rewritten_query or base.question, [(s.n, s.text) for s in sources])
        if found:
            log.info("comparison mix-ups: %s", [m.model_dump() for m in found])
            text += "\n\n" + "\n".join(mixup_notes(found, phrase("mixup", base.lang), phrase("quote", base.lang)))
        if looped:
            text += "\n\n" + phrase("loop_cut", base.lang)
        if not citations:
            text, citations = self._quote_notes(text, sources, base.lang)
        timings["total_s"] = time.perf_counter() - t0
        return base.model_copy(update={"text": text, "citations": citations, "timings": timings,
                                       "citation_check": report, "mixups": found, "looped": looped})

    @staticmethod
    def _quote_notes(text: str, sources: list[Citation], lang: Lang) -> tuple[str, list[Citation]]:
        """No valid citation survived: say so, and quote the top source verbatim as what the notes say."""
        quote = notes_excerpt(sources[0].text) if sources else ""
        if not quote:
            return text + "\n\n" + phrase("no_citation", lang), []
        top = sources[0].model_copy(update={"origin": "quoted"})
        return f"{text}\n\n{phrase('notes_say', lang)}\n> {place_marker(quote, top.n)}", [top]

    def _budget(self) -> int:
        window = self.llm.context_window - self.settings.answer_max_tokens - SAFETY_TOKENS
        return max(256, min(self.prompt_tokens, window))

    def _prompt(self, question: str, rewritten: str, lang: Lang, hits: Sequence[Hit],
                history: Sequence[Turn]) -> tuple[list[Citation], list[Message]]:
        """Fit sources (lowest-ranked dropped first) and history into the prompt budget."""
        count = self.llm.count_tokens
        system = render("answer_system")
        bare = AnswerPromptInput(question=question, standalone_query=rewritten,
                                 language=phrase("answer_in", lang), sources=[])
        left = self._budget() - count(system) - count(render("answer", input=bare))
        unmarked = [t.model_copy(update={"content": _MARKERS.sub("", t.content)}) for t in history]
        recent = trim_history(unmarked, min(HISTORY_TOKENS, max(0, left // 4)), count)
        left -= sum(count(t.content) + 4 for t in recent)
        sources = fit_sources(sources_from_hits(hits), left, count, max_source_tokens=MAX_SOURCE_TOKENS)
        data = bare.model_copy(update={"sources": sources, "history": recent})
        return sources, [{"role": "system", "content": system},
                         {"role": "user", "content": render("answer", input=data)}]
