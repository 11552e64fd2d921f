"""Post-hoc attribution: every claim of an answer names a numbered source that supports it.

The small model often writes a correct answer and forgets the ``[n]`` markers, or puts a marker on
the wrong source. After ``citations.check_citations`` this module

1. splits the answer into segments (sentences, list items, lines; fenced code is left alone);
2. marks pure framing ("Вот что говорят заметки:", "Differences:") as needing no citation;
3. for every claim, scores each source twice: **dense** (cosine of the claim embedded as a query
   vs the source text embedded as a document, through the app's ``Embedder`` port) and **lexical**
   (share of the claim's stemmed content terms found in the source, ``ingest.sparse.terms``);
   a source *supports* a claim only when both pass their thresholds (calibrated on real answers,
   docs/answering.md);
   a claim nothing supports is scored again with the cross-lingual term bridge (``term_bridge``),
   then, for a long source whose terms match but whose whole-text vector is far from the claim,
   against that source's closest sentence (``passages``, ``Attributor.passage_scores``);
4. a claim with no marker gets ``[n]`` of its best supporting source (none -> left uncited: no
   citation is better than a wrong one); a model-written ``[n]`` whose source shares nothing with
   its claim (both scores under the *wrong* thresholds) is moved to the supporting source or dropped;
5. a paragraph whose last claim ends with a group of markers ("... quality. [1][2][3]": the small
   model cites the whole paragraph once) vouches for its uncited claims: each takes the group's
   source closest to it when the embedding says so clearly (``group_dense``) and >= ``min_shared``
   terms are shared, even if the share of shared terms is below ``lexical``.

Pure logic plus the ``Attributor`` class, which only talks to the ``Embedder`` port (vectors of
source texts come from the store when retrieval returned them (``Hit.vector``), else are embedded
once and kept in a ``TextVectors`` LRU cache keyed by their text; claims go through the embedder's
own query cache).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ingest.sparse import terms
from tutor.ports import Embedder
from tutor.term_bridge import bridge_terms
from tutor.text_vectors import TextVectors
from tutor.types import Citation

SegmentKind = Literal["claim", "framing", "code", "blank"]

_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
_MARK = re.compile(r"\[(\d{1,3})\]")
_MARKS_AT_END = re.compile(r"(?:\s*\[\d{1,3}\])+\s*$")
# a sentence ends at . ! ? … (plus closing quotes/brackets and any [n] markers) before a space and
# something that can start a sentence
_END = re.compile(r"[.!?…][»\"')]*(?:\s*\[\d{1,3}\])*(?=\s+[«\"(*\-–—A-ZА-ЯЁ0-9])")
_ABBREV = {"e.g", "i.e", "vs", "etc", "т.е", "т.к", "т.д", "т.п", "др", "см", "напр", "т.н", "mr", "dr",
           "fig", "eq", "approx", "ср", "гл", "стр", "рис"}
_LIST_HEAD = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+")
_MD = re.compile(r"[*_`#>|]+")
_WORD = re.compile(r"\w+", re.U)
_MIN_PASSAGE = 60  # characters: a shorter sentence of a source is compared together with the next
# "В источниках нет информации о ...", "The notes do not say ...": about the sources, not a claim
_META = re.compile(r"\b(?:источник\w*|заметк\w*|sources?|notes?|context)\b.*?(?:\bне\b|\bнет\b|\bnot\b|n't\b)"
                   r"|(?:\bне\b|\bнет\b|\bnot\b|n't\b).*?\b(?:источник\w*|заметк\w*|sources?|notes?)\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Thresholds:
    """Support = (dense >= ``dense`` AND lexical >= ``lexical`` AND >= ``min_shared`` shared terms)
    OR, for short copied list items and formulas whose embedding says little, (lexical >=
    ``copy_lexical`` AND >= ``copy_shared`` shared terms AND dense >= ``copy_dense``).
    A model citation is wrong when dense < ``wrong_dense`` AND no content term is shared.
    Calibrated on 56 hand-labelled claims x 233 (claim, source) pairs of real answers
    (docs/answering.md, scripts/attribution_calibrate.py): 39 of 43 added citations correct."""

    dense: float = 0.40
    lexical: float = 0.40
    min_shared: int = 2
    copy_lexical: float = 0.80
    copy_shared: int = 3
    copy_dense: float = 0.20
    wrong_dense: float = 0.30
    group_dense: float = 0.50  # uncited claim vs a source of its paragraph's closing marker group
    passage_dense: float = 0.45  # claim vs its closest sentence of a long source (> 1: off)
    bridge: float = 0.70  # word cosine at which a Russian and an English word count as one term (> 1: off)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Segment:
    """``text`` is ``answer[start:end]``; ``kind`` says whether it needs a citation."""

    start: int
    end: int
    text: str
    kind: SegmentKind


class Change(BaseModel):
    claim: str = Field(description="The claim text (markers removed).")
    action: Literal["added", "moved", "dropped"]
    old: int | None = Field(None, description="The model's number (moved / dropped).")
    new: int | None = Field(None, description="The checker's number (added / moved).")


class Attribution(BaseModel):
    text: str = Field(description="Answer text with matched [n] added and wrong ones fixed.")
    matched: list[int] = Field(default_factory=list, description="Numbers added by the checker only.")
    changes: list[Change] = Field(default_factory=list)
    claims: int = Field(0, description="Segments that needed a citation.")
    uncited: int = Field(0, description="Claims still without a citation (nothing supports them).")
    seconds: float = 0.0


# --- splitting -----------------------------------------------------------------------------------
def _sentence_ends(line: str) -> list[int]:
    """Offsets in ``line`` after which a new sentence starts (abbreviations and decimals kept)."""
    ends = []
    for m in _END.finditer(line):
        before = line[:m.start()].rsplit(None, 1)
        word = before[-1].lower().rstrip(".") if before else ""
        if word in _ABBREV:
            continue
        if word.isdigit() and line[:m.start()].strip() == word:
            continue  # "1. Item": a list number, not a sentence
        if word.isdigit() and len(word) <= 2 and _inline_list(line, int(word)):
            cut = m.start() - len(word)  # "steps: 1. A 2. B": a new item starts before "2."
            if line[:cut].strip():
                ends.append(cut)
            continue
        ends.append(m.end())
    return ends


def _inline_list(line: str, n: int) -> bool:
    """``n.`` is an item number of an enumeration written on one line (its neighbour is there too)."""
    return any(re.search(rf"(?<![\d.]){k}\.\s", line) for k in (n - 1, n + 1) if k >= 1)


def _kind(text: str) -> SegmentKind:
    bare = _LIST_HEAD.sub("", _MD.sub(" ", _MARK.sub(" ", text))).strip()
    if not bare:
        return "blank"
    content = terms(bare)
    if bare.endswith(":") and len(_WORD.findall(bare)) <= 12:
        return "framing"  # "Вот что говорят заметки:", "Отличия:", "Differences between A and B:"
    if len(content) < 2:
        return "framing"  # "Итак.", "Yes." - nothing checkable
    if _META.search(bare):
        return "framing"  # "В источниках нет ответа на ...": says what the notes lack
    return "claim"


def split_segments(text: str) -> list[Segment]:
    """Sentences, list items and lines of ``text``; fenced code blocks are single ``code`` segments.

    'LoRA adds A and B [1]. It is cheap.' -> ['LoRA adds A and B [1].', 'It is cheap.'] (claims)
    """
    out: list[Segment] = []
    pos = 0
    for m in list(_FENCE.finditer(text)) + [None]:
        stop = m.start() if m else len(text)
        _split_prose(text, pos, stop, out)
        if m:
            out.append(Segment(m.start(), m.end(), m.group(0), "code"))
            pos = m.end()
    return out


def _split_prose(text: str, start: int, stop: int, out: list[Segment]) -> None:
    offset = start
    for line in text[start:stop].splitlines(keepends=True):
        cuts = [0, *_sentence_ends(line), len(line)]
        for a, b in zip(cuts, cuts[1:], strict=False):
            piece = line[a:b]
            lead = len(piece) - len(piece.lstrip())
            body = piece.strip()
            if body:
                s = offset + a + lead
                out.append(Segment(s, s + len(body), body, _kind(body)))
        offset += len(line)


@lru_cache(maxsize=1024)
def passages(source: str) -> tuple[str, ...]:
    """Sentences, list items and lines of a source (markers and markdown removed; code skipped), a
    short one joined to the next: what a claim is compared with when the source is long and covers
    many things, so that its whole-text embedding is far from any one of them.

    passages('Итоги:\nFlashAttention решает memory bottleneck через tiling. ...') ->
        ('Итоги: FlashAttention решает memory bottleneck через tiling.', ...)
    """
    out: list[str] = []
    carry = ""
    for seg in split_segments(source):
        if seg.kind in ("code", "blank"):
            continue
        carry = f"{carry} {claim_text(seg.text)}".strip()
        if len(carry) >= _MIN_PASSAGE:
            out.append(carry)
            carry = ""
    if carry:
        out.append(carry)
    return tuple(out)


# --- scoring -------------------------------------------------------------------------------------
def claim_text(segment: str) -> str:
    """The claim without markers, list bullets or markdown: what gets embedded and compared."""
    return " ".join(_LIST_HEAD.sub("", _MD.sub(" ", _MARK.sub(" ", segment))).split())


def lexical(claim: str, source: str, ignore: frozenset[str] = frozenset()) -> tuple[float, int]:
    """(share of the claim's content terms found in the source, number shared). Terms in ``ignore``
    (the question's own terms: every retrieved source shares them) do not count.

    lexical('LoRA trains low-rank matrices', 'LoRA: low-rank адаптеры') -> (0.5, 2)
    """
    return shared_terms(set(terms(claim)) - ignore, set(terms(source)), {})


def shared_terms(mine: set[str], source: set[str], bridge: Mapping[str, frozenset[str]]) -> tuple[float, int]:
    """``lexical`` on term sets; ``bridge``: claim term -> the same word in the other script
    (``tutor.term_bridge``), which counts as shared when the source holds it."""
    if not mine:
        return 0.0, 0
    shared = sum(1 for t in mine if t in source or bridge.get(t, frozenset()) & source)
    return shared / len(mine), shared


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.dot(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))


@dataclass(frozen=True)
class Score:
    n: int
    dense: float
    lexical: float
    shared: int
    passage: float = 0.0  # cosine to the closest sentence of the source (only scored when needed)

    def supports(self, th: Thresholds) -> bool:
        close = self.dense >= th.dense or self.passage >= th.passage_dense
        if close and self.lexical >= th.lexical and self.shared >= th.min_shared:
            return True
        return self.lexical >= th.copy_lexical and self.shared >= th.copy_shared and self.dense >= th.copy_dense

    def is_wrong(self, th: Thresholds) -> bool:
        return self.dense < th.wrong_dense and self.shared == 0


def best_support(scores: Sequence[Score], th: Thresholds, group: frozenset[int] = frozenset()) -> Score | None:
    """The best source supporting the claim; ``group``: sources its paragraph cites as a whole,
    which support it on a clear embedding match and shared terms alone."""
    ok = [s for s in scores if s.supports(th) or (s.n in group and s.dense >= th.group_dense
                                                   and s.shared >= th.min_shared)]
    return max(ok, key=lambda s: (s.dense + s.lexical, -s.n)) if ok else None


def closing_groups(text: str, segments: Sequence[Segment]) -> dict[int, frozenset[int]]:
    """For each claim segment, the marker group closing its paragraph (>= 2 numbers on the last
    claim, which the paragraph's other claims lack): 'A. B. C. [1][2]' -> {0: {1, 2}, 1: {1, 2}}."""
    out: dict[int, frozenset[int]] = {}
    para: list[int] = []
    for i, seg in enumerate(segments):
        if para and "\n\n" in text[segments[para[-1]].end:seg.start]:
            _close(segments, para, out)
            para = []
        if seg.kind == "claim":
            para.append(i)
    _close(segments, para, out)
    return out


def _close(segments: Sequence[Segment], para: list[int], out: dict[int, frozenset[int]]) -> None:
    if len(para) < 2:
        return
    last = segments[para[-1]].text
    group = frozenset(int(x) for x in _MARK.findall(last))
    if len(group) >= 2 and _MARKS_AT_END.search(last) and not any(_MARK.search(segments[i].text) for i in para[:-1]):
        out.update({i: group for i in para[:-1]})


def place_marker(segment: str, n: int) -> str:
    """Put ``[n]`` at the end of the claim, before its final punctuation: 'A is B.' -> 'A is B [n].'"""
    body = _MARKS_AT_END.sub("", segment)
    m = re.search(r"[.!?…;:,]*$", body)
    cut = m.start() if m else len(body)
    return f"{body[:cut].rstrip()} [{n}]{body[cut:]}"


def _fix(segment: str, scores: dict[int, Score], th: Thresholds,
         changes: list[Change], group: frozenset[int] = frozenset()) -> tuple[str, bool]:
    """Rewrite one claim's markers; returns (new text, cited?)."""
    claim = claim_text(segment)
    cited = [int(x) for x in _MARK.findall(segment) if int(x) in scores]
    best = best_support(list(scores.values()), th, group)
    if not cited:
        if best is None:
            return segment, False
        changes.append(Change(claim=claim, action="added", new=best.n))
        return place_marker(segment, best.n), True
    wrong = [n for n in cited if scores[n].is_wrong(th)]
    if not wrong:
        return segment, True
    kept = [n for n in cited if n not in wrong]
    for n in wrong:
        repl = best.n if best is not None and not kept else None
        changes.append(Change(claim=claim, action="moved" if repl else "dropped", old=n, new=repl))
        segment = re.sub(rf"\s?\[{n}\]", f" [{repl}]" if repl else "", segment, count=1)
        if repl:
            kept.append(repl)
    return segment, bool(kept)


def attribute_text(text: str, segments: Sequence[Segment], scores: dict[int, dict[int, Score]],
                   th: Thresholds = DEFAULT_THRESHOLDS) -> Attribution:
    """Apply the decisions: ``scores[i][n]`` scores claim segment ``i`` against source ``n``."""
    parts: list[str] = []
    pos = 0
    changes: list[Change] = []
    claims = uncited = 0
    groups = closing_groups(text, segments)
    for i, seg in enumerate(segments):
        parts.append(text[pos:seg.start])
        new = seg.text
        if seg.kind == "claim" and i in scores:
            claims += 1
            new, ok = _fix(seg.text, scores[i], th, changes, groups.get(i, frozenset()))
            uncited += not ok
        parts.append(new)
        pos = seg.end
    parts.append(text[pos:])
    out = "".join(parts)
    model = {int(x) for s in segments for x in _MARK.findall(s.text)}
    final = {int(x) for x in _MARK.findall(out)}
    return Attribution(text=out, matched=sorted(final - model), changes=changes, claims=claims,
                       uncited=uncited)


# --- the adapter-facing part ---------------------------------------------------------------------
class Attributor:
    """Scores claims against sources with the ``Embedder`` port and applies ``attribute_text``."""

    def __init__(self, embedder: Embedder, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                 cache_size: int = 256) -> None:
        self.embedder = embedder
        self.thresholds = thresholds
        # vector caches shared by the UI's requests (thread-safe): whole source texts not stored in
        # Qdrant, single words (the term bridge) and sentences of sources (``passage_scores``)
        self.documents = TextVectors(embedder, cache_size=cache_size)
        self.words = TextVectors(embedder)
        self.sentences = TextVectors(embedder, cache_size=4096)

    def _source_vectors(self, sources: Sequence[Citation],
                        known: Mapping[str, Sequence[float]]) -> dict[int, Sequence[float]]:
        """Vectors of the sources: stored ones (``Hit.vector``) as they are, the rest embedded once."""
        found: dict[int, Sequence[float]] = {s.n: known[s.chunk_id] for s in sources if s.chunk_id in known}
        missing = [s for s in sources if s.n not in found]
        if missing:
            found.update(zip((s.n for s in missing), self.documents([s.text for s in missing]), strict=True))
        return found

    def score(self, segments: Sequence[Segment], sources: Sequence[Citation],
              known: Mapping[str, Sequence[float]] | None = None,
              question: str = "") -> dict[int, dict[int, Score]]:
        """Scores of every claim segment against every source (empty when there is nothing to do).
        ``known``: stored document vectors by chunk id (``Hit.vector``), used instead of embedding.
        A claim no source supports is scored again with the cross-lingual term bridge, then against
        the single sentences of the sources whose terms it shares (``passage_scores``)."""
        claims = {i: claim_text(s.text) for i, s in enumerate(segments) if s.kind == "claim"}
        if not claims or not sources:
            return {}
        src_vecs = self._source_vectors(sources, known or {})
        src_terms = {s.n: set(terms(s.text)) for s in sources}
        ignore, th = frozenset(terms(question)), self.thresholds
        mine = {i: set(terms(claim)) - ignore for i, claim in claims.items()}
        qvecs = {i: self.embedder.embed_query(claim) for i, claim in claims.items()}
        dense = {i: {s.n: dot(q, src_vecs[s.n]) for s in sources} for i, q in qvecs.items()}

        def scored(i: int, bridge: Mapping[str, frozenset[str]]) -> dict[int, Score]:
            return {n: Score(n, d, *shared_terms(mine[i], src_terms[n], bridge)) for n, d in dense[i].items()}

        def unsupported() -> list[int]:
            return [i for i in claims if best_support(list(out[i].values()), th) is None]

        out = {i: scored(i, {}) for i in claims}
        bridge: Mapping[str, frozenset[str]] = {}
        if th.bridge <= 1.0 and (weak := unsupported()):
            bridge = bridge_terms([claims[i] for i in weak], [s.text for s in sources], self.words, th.bridge, ignore)
            out.update({i: scored(i, bridge) for i in weak})
        if th.passage_dense <= 1.0:
            texts = {s.n: s.text for s in sources}
            for i in unsupported():
                out[i] = self.passage_scores(out[i], qvecs[i], mine[i], texts, bridge)
        return out

    def passage_scores(self, scores: dict[int, Score], qvec: Sequence[float], mine: set[str],
                       texts: Mapping[int, str], bridge: Mapping[str, frozenset[str]]) -> dict[int, Score]:
        """A long source covering many things is far from a claim about one of them as a whole text.
        For each source that fails the claim on the embedding alone (its terms pass), the cosine of
        the claim to the closest of its sentences that share >= ``min_shared`` terms with it."""
        th, out = self.thresholds, dict(scores)
        for n, s in scores.items():
            if s.dense >= th.dense or s.lexical < th.lexical or s.shared < th.min_shared:
                continue
            near = [p for p in passages(texts[n]) if shared_terms(mine, set(terms(p)), bridge)[1] >= th.min_shared]
            if near:
                out[n] = replace(s, passage=float(np.max(self.sentences(near) @ np.asarray(qvec, dtype=np.float32))))
        return out

    def attribute(self, text: str, sources: Sequence[Citation],
                  known: Mapping[str, Sequence[float]] | None = None, question: str = "") -> Attribution:
        """``question``: its terms are ignored by the lexical check ("DPO", "PPO" in every source
        and in every sentence of a DPO-vs-PPO answer prove nothing)."""
        t0 = time.perf_counter()
        segments = split_segments(text)
        result = attribute_text(text, segments, self.score(segments, sources, known, question),
                                self.thresholds)
        return result.model_copy(update={"seconds": time.perf_counter() - t0})
