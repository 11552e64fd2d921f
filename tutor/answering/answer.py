"""Notes first, then the model: (a follow-up joined to the question before it) -> the bank item
the question asks (``tutor.retrieval.bank_index``) or the top sources -> the notes' own text,
verbatim and cited, shown at once (``tutor.answering.notes``) -> on request (a style, or
``Settings.explain == 'always'``) the model's short explanation of it, streamed, cut at a sentence
end and checked against the notes (``tutor.answering.factcheck``): a sentence the notes contradict is
removed and the answer says so. The explanation carries no citation; only the notes' text is cited.
By default the answer is the notes alone: on the held-out answer set the 1.5B model's explanations
added no required fact and 1 sentence in 6 contradicted the notes (docs/answering.md).

The notes don't cover the question (no bank item, no source close enough) or it names a term no
note mentions: the tutor says so without calling the LLM (with the closest notes in the second case).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from typing import Any, Literal

from pydantic import BaseModel, Field

from tutor.answering.conversation import Turn, fallback_query, last_answer, needs_rewrite, trim_history
from tutor.answering.crosscheck import names, shaped
from tutor.answering.factcheck import CHECKS, Check, check_explanation
from tutor.answering.notes import (
    NotesPart,
    bank_text,
    extract,
    from_bank,
    opening,
    shown_before,
    squash,
    with_also,
)
from tutor.answering.thresholds import ANSWERING
from tutor.core.errors import InputError, LLMOutputError
from tutor.core.phrases import phrase
from tutor.core.ports import ChatLLM, Embedder, Message, Searcher
from tutor.core.prompting import render
from tutor.core.settings import Settings
from tutor.core.types import Answer, BankItem, Chunk, Citation, Filters, Hit, Lang
from tutor.llm.budget import truncate
from tutor.llm.repetition import drop_repeats, looping
from tutor.retrieval.citations import sources_from_hits
from tutor.retrieval.thresholds import RETRIEVAL
from tutor.text.language import detect_lang
from tutor.text.markdown import quote
from tutor.text.similarity import cosines

log = logging.getLogger(__name__)
_MARKERS = re.compile(r"\s?\[\d+\]")  # old answers' [n] refer to old sources: hide them

# Prompt budget: prefill runs at ~60 tok/s on 2 cores, so every 60 prompt tokens cost ~1 s before
# the explanation starts (the notes are already on screen by then).
NOTES_TOKENS = 320          # the notes shown to the explainer (a bank answer's median is ~150)
CONTEXT_TOKENS = 220        # one more retrieved source for an extractive answer
LOOP_CHECK_EVERY = 16       # deltas between loop checks when no sentence ends (a loop with no punctuation)
MEANING_CHARS = 160         # a follow-up's candidate sentence is embedded by its head: 12 sentences ~1.3 s
HISTORY_TOKENS = 120        # earlier conversation shown to the explainer (the query is standalone)
# '' = the default: the notes alone, or with the short explanation when Settings.explain == 'always'
Style = Literal["", "explain", "more", "simpler", "english"]
STYLES: tuple[Style, ...] = ("", "explain", "more", "simpler", "english")
# explanation length per style: (prompt wording, token cap). The cap leaves room to end a sentence.
LENGTH: dict[str, tuple[str, int]] = {
    "explain": ("in 2-3 short sentences", 150),
    "more": ("in more depth: 4-6 sentences, with one concrete example", 300),
    "simpler": ("in 2-3 very simple sentences for a beginner, with an everyday analogy", 160),
    "english": ("in 2-3 short sentences", 150),
}
_SENTENCE_DONE = re.compile(r"[.!?…](?:[»\"')\]]*)(?=\s|$)")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+[^\n]*\n?|^[ \t]*\*\*[^*\n]{1,40}:\*\*[ \t]*", re.MULTILINE)


def _may_end_loop(delta: str, n: int) -> bool:
    """Worth running the loop check now: a sentence or line just ended, or every few deltas."""
    return any(ch in delta for ch in ".!?…\n") or n % LOOP_CHECK_EVERY == 0


class AnswerEvent(BaseModel):
    """One step of a streamed answer; ``done`` is always last and carries the Answer.
    Order: [rewritten] -> sources -> notes -> delta* -> done."""

    kind: Literal["rewritten", "sources", "notes", "delta", "done"]
    text: str = Field("", description="rewritten: the standalone query; notes: the notes' part with the "
                                      "explanation's heading; delta: a piece of the explanation.")
    sources: list[Citation] = Field(default_factory=list, description="sources: numbered [1]..[k].")
    answer: Answer | None = None


class ExplainInput(BaseModel):
    """Everything the explain prompt shows the model."""

    question: str
    notes: str
    language: str
    length: str
    extract: bool = False
    history: list[Turn] = Field(default_factory=list)


def complete_sentences(text: str) -> str:
    """The text up to its last finished sentence (a reply cut by the token cap never ends mid-word).
    'A is B. C is' -> 'A is B.'; a text with no finished sentence is kept to its last whole word + '…'."""
    text = text.strip()
    ends = [m.end() for m in _SENTENCE_DONE.finditer(text)]
    if ends:
        return text[:ends[-1]].strip()
    if not text:
        return ""
    return (text.rsplit(" ", 1)[0] if " " in text else text).rstrip(",;:—- ") + " …"


def clean_explanation(raw: str) -> str:
    """Markers, headings and repeats out; cut at the last finished sentence."""
    text = _MARKERS.sub("", raw)
    text = _HEADING.sub("", text)
    return complete_sentences(drop_repeats(text))


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
                 match: Callable[[str], Any] | None = None,
                 chunks: Callable[[Sequence[str]], list[Chunk]] | None = None,
                 checks: Sequence[Check] = CHECKS, embedder: Embedder | None = None) -> None:
        """``match``: typed question -> the bank item it asks (``bank_index.Match``: ``.item``,
        ``.score``, the closest phrasing whatever its score) or None; ``chunks``: chunk ids -> stored chunks (the bank answer's source card
        when retrieval did not return it). ``checks``: the factcheck checks applied; ``embedder``:
        ranks a follow-up's sentences by meaning (without one, by shared terms)."""
        self.retriever = retriever
        self.llm = llm
        self.settings = settings
        self.match = match
        self.chunks = chunks
        self.checks = tuple(checks)
        self.embedder = embedder
        self.thresholds = ANSWERING.overridden(settings)

    def ask(self, question: str, history: list[Turn] | None = None,
            filters: Filters | None = None, style: Style = "") -> Answer:
        """The whole answer at once (consumes ``stream``)."""
        for event in self.stream(question, history, filters, style):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise LLMOutputError("The answer stream ended without a result.")  # pragma: no cover

    def stream(self, question: str, history: list[Turn] | None = None,
               filters: Filters | None = None, style: Style = "") -> Iterator[AnswerEvent]:
        question = " ".join(question.split())
        if not question:
            raise InputError("The question is empty.", hint="Type a question about your notes.")
        if style not in STYLES:
            raise InputError(f"Unknown explanation style {style!r}.",
                             hint="Use one of: explain, more, simpler, english.")
        history = list(history or [])
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        lang: Lang = "en" if style == "english" else question_lang(question, history)
        # a follow-up ('а почему?', 'and GRPO?') is searched together with the question before it;
        # no LLM rewrite stands between the question and the notes
        rewritten = fallback_query(question, history) if needs_rewrite(question, history) else ""
        if rewritten:
            yield AnswerEvent(kind="rewritten", text=rewritten)
        query = rewritten or question
        t1 = time.perf_counter()
        hits, relevant = self._search(query, filters)
        if rewritten:
            # the follow-up alone names a bank item only when its own top source agrees ('and GQA?'
            # is close to 'What is GPQA?' as a phrase; its sources are about GQA)
            item, score = self._bank_item(question, self._search(question, filters)[1], filters, agreed_only=True)
            if item is None:
                item, score = self._bank_item(query, relevant, filters)
        else:
            item, score = self._bank_item(query, relevant, filters)
        timings["retrieve_s"] = time.perf_counter() - t1
        base = Answer(question=question, rewritten_query=rewritten, text="", lang=lang, style=style)
        seen = squash(last_answer(history)) if rewritten else ""
        notes = self._notes(query, item, score, hits, relevant, seen, question)
        missing = self.unknown_terms(question)
        if notes is None or missing:
            yield from self._not_covered(base, timings, t0, missing, notes)
            return
        if notes.origin == "bank":
            notes = with_also(notes, query, self._context(notes, relevant))
        context = self._context(notes, relevant)
        sources = notes.citations + context
        how: Style = style or ("explain" if self.settings.explain == "always" else "")
        # the notes' answer alone ends with the offer of an explanation; else the explanation's heading
        head = notes_block(notes, lang) + "\n\n" + (phrase("explanation", lang) + "\n" if how
                                                    else phrase("explain_offer", lang))
        timings["notes_s"] = time.perf_counter() - t0
        yield AnswerEvent(kind="sources", sources=sources)
        yield AnswerEvent(kind="notes", text=head)
        if not how:  # the model explains on request
            timings["total_s"] = timings["notes_s"]
            yield _done(base, notes, sources, timings, text=head)
            return
        messages = self._prompt(question, rewritten, lang, notes, context, history, how)
        parts: list[str] = []
        looped = False
        t2 = time.perf_counter()
        with closing(self.llm.stream(messages, purpose="explain", max_tokens=LENGTH[how][1])) as deltas:
            for delta in deltas:
                if not parts:
                    timings["ttft_s"] = time.perf_counter() - t2
                parts.append(delta)
                yield AnswerEvent(kind="delta", text=delta)
                if _may_end_loop(delta, len(parts)) and looping("".join(parts)):
                    looped = True  # closing the stream stops the server's generation too
                    break
        timings["generate_s"] = time.perf_counter() - t2
        explanation = clean_explanation("".join(parts))
        if not explanation:
            raise LLMOutputError("The model returned an empty explanation.", raw="".join(parts),
                                 hint="Ask again; if it keeps happening, check the LLM server.")
        checked, removed = check_explanation(explanation, [notes.full_text, *(c.text for c in sources)],
                                             query, self.checks)
        if removed:
            log.info("explanation sentences removed: %s", [r.model_dump() for r in removed])
        text = head + (checked or phrase("explanation_empty", lang))
        if removed:
            text += "\n\n" + phrase("removed", lang).format(n=len(removed))
        if looped:
            text += "\n\n" + phrase("loop_cut", lang)
        timings["total_s"] = time.perf_counter() - t0
        yield _done(base, notes, sources, timings, text=text, explanation=checked, removed=removed, looped=looped)

    # --- steps ---------------------------------------------------------------------------------
    def _search(self, query: str, filters: Filters | None) -> tuple[list[Hit], list[Hit]]:
        """(the hits, those relevant and close enough to the best one to show)."""
        s, t = self.settings, self.thresholds
        hits = self.retriever.search(query, k=s.top_k, mode=s.retrieval_mode, filters=filters)
        return hits, focused_hits(relevant_hits(hits, t.min_relevance), t.source_floor, t.source_gap)

    def _bank_item(self, query: str, relevant: Sequence[Hit], filters: Filters | None,
                   agreed_only: bool = False) -> tuple[BankItem | None, float | None]:
        """The bank item the question asks: its closest phrasing reaches the bank match threshold, or agree_min
        when the top relevant source is that item's own chunk (``agreed_only``: always required)."""
        m = self.match(query) if self.match is not None else None
        if m is None:
            return None, None
        item: BankItem = m.item
        top = relevant[0].chunk if relevant else None
        agrees = top is not None and (top.question_id == item.id or top.chunk_id in item.source_chunk_ids)
        if (m.score < RETRIEVAL.match_min or agreed_only) and not (agrees and m.score >= self.thresholds.agree_min):
            return None, None
        if filters is not None and not filters.is_empty() and not _passes(item, filters):
            return None, None
        return item, float(m.score)

    def _notes(self, query: str, item: BankItem | None, score: float | None, hits: Sequence[Hit],
               relevant: Sequence[Hit], seen: str = "", follow_up: str = "") -> NotesPart | None:
        """The bank item's answer, else the sources' sentences. ``seen``: what the conversation's last
        answer showed (squashed); ``follow_up``: the follow-up's own words. A follow-up whose bank item
        the last answer already showed (or that has none) is answered by the sentences of the topic's
        sources (found by the joined query) closest in meaning to its own words, not by the same
        bank answer again; a sentence shown before is quoted again when it is the closest."""
        if seen and (item is None or shown_before(item, seen)):
            fresh = self._extract(query, relevant, self._by_meaning(follow_up))
            if fresh is not None:
                return fresh
        if item is not None:
            return from_bank(item, self._bank_source(item, hits), score)
        return self._extract(query, relevant)

    def _extract(self, query: str, relevant: Sequence[Hit],
                 by_meaning: Callable[[list[str]], list[float]] | None = None) -> NotesPart | None:
        if not relevant or max(h.dense_score or 0.0 for h in relevant) < self.thresholds.extract_min:
            return None
        return extract(query, sources_from_hits(relevant), by_meaning=by_meaning)

    def _by_meaning(self, question: str) -> Callable[[list[str]], list[float]] | None:
        """Sentences -> their cosine with ``question`` (multilingual embedder), or None without one.
        Each sentence is embedded by its first MEANING_CHARS characters (its topic; the cost grows
        with length)."""
        embedder = self.embedder
        if embedder is None or not question.strip():
            return None
        q = embedder.embed_query(question)
        return lambda xs: cosines(embedder.embed_documents([x[:MEANING_CHARS] for x in xs]), q).tolist()

    def unknown_terms(self, question: str) -> list[str]:
        """Technical terms of the question ('KTO', 'min-p', 'StatefulSet') that no note mentions:
        the notes cannot answer a question about them, however close the rest of it is."""
        out = []
        for term in question_terms(question):
            if not any(self._mentioned(t) for t in spellings(term)):
                out.append(term)
        return out

    def _mentioned(self, term: str) -> bool:
        if not term:
            return True  # nothing technical left ('load-balancing' is two plain words)
        hits = self.retriever.search(term, k=3, mode="sparse")
        return any(names(h.chunk.text, term) for h in hits)

    def _bank_source(self, item: BankItem, hits: Sequence[Hit]) -> Citation:
        """The chunk that holds the bank answer (an item merged from several documents lists the
        chunks of each; the one quoted is the one whose text holds the reference): from the hits,
        else from the store, else the answer itself."""
        ids = item.source_chunk_ids
        first = opening(item)

        def holds(c: Chunk) -> bool:
            return c.chunk_id in ids and first in squash(c.text)

        chunk = next((h.chunk for h in hits if holds(h.chunk)), None)
        if chunk is None and ids and self.chunks is not None:
            chunk = next((c for c in self.chunks(ids) if holds(c)), None)
        if chunk is not None:
            return sources_from_hits([Hit(chunk=chunk, score=1.0)])[0]
        return Citation(n=1, chunk_id=(ids or [""])[0], doc=(item.docs or [""])[0], section=item.topic,
                        text=bank_text(item))

    def _context(self, notes: NotesPart, relevant: Sequence[Hit]) -> list[Citation]:
        """Retrieved sources the notes part does not already cite, numbered after it (source cards;
        the explainer of an extractive answer reads the first of them too)."""
        known = {c.chunk_id for c in notes.citations}
        extra = [h for h in relevant if h.chunk.chunk_id not in known]
        start = len(notes.citations)
        return [c.model_copy(update={"n": start + i, "origin": "context"})
                for i, c in enumerate(sources_from_hits(extra), start=1)]

    def _not_covered(self, base: Answer, timings: dict[str, float], t0: float, missing: Sequence[str] = (),
                     notes: NotesPart | None = None) -> Iterator[AnswerEvent]:
        """The notes don't answer: say so without calling the model. When the question names terms
        no note mentions, name them and show the closest notes for what they are."""
        quote = phrase("quote", base.lang)
        if missing:
            text = phrase("unknown_terms", base.lang).format(terms=", ".join(quote.format(t) for t in missing))
        else:
            text = phrase("not_covered", base.lang)
        sources = notes.citations if (missing and notes is not None) else []
        if sources and notes is not None:
            text += "\n\n" + notes_block(notes, base.lang)
        timings["notes_s"] = timings["total_s"] = time.perf_counter() - t0
        yield AnswerEvent(kind="sources", sources=sources)
        yield AnswerEvent(kind="notes", text=text)
        yield AnswerEvent(kind="done", answer=base.model_copy(update={
            "text": text, "covered": False, "timings": timings, "citations": sources,
            "notes": notes.full_text if sources and notes else "", "unknown_terms": list(missing)}))

    def _prompt(self, question: str, rewritten: str, lang: Lang, notes: NotesPart, context: Sequence[Citation],
                history: Sequence[Turn], style: Style) -> list[Message]:
        count = self.llm.count_tokens
        # the explainer reads the item's key points when it has them: one clean statement each,
        # where the reference may be a flattened table whose rows a small model swaps (hiding the
        # notes' other tables from it made it invent the figures they hold: test read 3)
        body = "\n".join(f"- {p}" for p in notes.points) if notes.points else notes.text
        shown = truncate(_MARKERS.sub("", body), NOTES_TOKENS, count)
        if notes.also:
            shown += "\n" + truncate(_MARKERS.sub("", notes.also), CONTEXT_TOKENS, count)
        if notes.origin == "extract" and context:
            shown += "\n\n" + truncate(context[0].text, CONTEXT_TOKENS, count)
        unmarked = [t.model_copy(update={"content": _MARKERS.sub("", t.content)}) for t in history]
        recent = trim_history(unmarked, HISTORY_TOKENS, count)
        length = LENGTH[style][0]
        data = ExplainInput(question=rewritten or question, notes=shown, language=phrase("answer_in", lang),
                            length=length, extract=notes.origin == "extract", history=recent)
        return [{"role": "system", "content": render("explain_system", length=length)},
                {"role": "user", "content": render("explain", input=data)}]


_TERM = re.compile(r"(?<![\w-])[A-Za-z0-9][A-Za-z0-9+]*(?:-[A-Za-z0-9+]+)*")
_PLAIN = re.compile(r"[a-z]{4,}")


def question_terms(question: str) -> list[str]:
    """Technical terms a question names, by the shape ``tutor.answering.crosscheck.shaped`` reads (a digit, a
    hyphen, an inner capital, or a capitalised word that does not open an English sentence); unlike
    ``crosscheck.terms`` a term may start with a digit ('8x7B').
    'Mixtral 8x7B vs KTO and min-p?' -> ['8x7B', 'KTO', 'min-p']; 'Что такое GIL в Python?' -> ['GIL', 'Python']."""
    russian = detect_lang(question) == "ru"
    out = []
    for i, m in enumerate(_TERM.finditer(question)):
        w = m.group(0)
        first = i == 0 and not question[:m.start()].strip()
        if len(w) >= 3 and any(c.isalpha() for c in w) and shaped(w, first, russian):
            out.append(w)
    return list(dict.fromkeys(out))


def spellings(term: str) -> list[str]:
    """Ways the notes may write a term: 'load-balancing' -> its shaped parts only (plain words say
    nothing: ['']), 'APM-style' -> ['APM'], 'min-p' -> ['min-p', 'min p', 'minp']; 'KTO' -> ['KTO']."""
    if "-" not in term:
        return [term]
    parts = term.split("-")
    if any(_PLAIN.fullmatch(p) for p in parts):  # 'chain-of-draft' -> [''], 'APM-style' -> ['APM']
        return ["-".join(p for p in parts if not _PLAIN.fullmatch(p) and len(p) >= 3)]
    return [term, " ".join(parts), "".join(parts)]


def _passes(item: BankItem, filters: Filters) -> bool:
    """A bank item is inside the user's filters (docs, topics, levels)."""
    return ((not filters.doc or bool(set(item.docs) & set(filters.doc)))
            and (not filters.topic or item.topic in filters.topic)
            and (not filters.level or item.level in filters.level)
            and (not filters.kind or "qa" in filters.kind or "rubric" in filters.kind))


def _done(base: Answer, notes: NotesPart, sources: list[Citation], timings: dict[str, float],
          **more: Any) -> AnswerEvent:
    """The last event of a covered answer: ``base`` with its notes' part, sources and timings (and
    ``more``: the text, the explanation and its checks)."""
    return AnswerEvent(kind="done", answer=base.model_copy(update={
        "notes": notes.full_text, "notes_origin": notes.origin, "bank_question": notes.bank_question,
        "bank_id": notes.bank_id, "citations": sources, "timings": timings, **more}))


def notes_block(notes: NotesPart, lang: Lang) -> str:
    """The notes' part as Markdown: a heading naming where it comes from, then the text quoted."""
    if notes.origin == "bank":
        title = phrase("notes_bank", lang).format(q=notes.bank_question)
    else:
        title = phrase("notes_extract", lang)
    out = f"{title}\n{quote(notes.text)}"
    if notes.pro:
        out += "\n>\n" + quote(phrase("notes_pro", lang) + "\n" + notes.pro_text)
    if notes.also:
        out += f"\n\n{phrase('notes_also', lang)}\n{quote(notes.also)}"
    return out

