"""Shared typed data passed between ingest, retrieval, answering, grading, evals and the UI.

Pure pydantic: importing this module loads no heavy library.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["qa", "rubric", "interview", "section", "table", "code"]
Level = Literal["basic", "medium", "killer"]
Lang = Literal["ru", "en"]
Mode = Literal["hybrid", "dense", "sparse"]


class Chunk(BaseModel):
    """A retrievable piece of a document, small enough to show as a source card."""

    chunk_id: str = Field(description="Stable id derived from doc + content (uuid5 hex string).")
    doc: str = Field(description="Document file name, e.g. 'llm-engineering-interview-questions.txt'.")
    text: str = Field(description="The text embedded and shown to the user.")
    heading_path: list[str] = Field(default_factory=list, description="Headings from the top, pilcrows removed.")
    section: str = Field("", description="Human-readable section label (usually ' > '.join(heading_path)).")
    topic: str = Field("", description="Normalised topic name, e.g. 'Tokenization'.")
    level: Level | None = None
    kind: Kind = "section"
    lang: Lang = "ru"
    start: int = Field(0, description="Char offset of the chunk start in the source text.")
    end: int = Field(0, description="Char offset one past the chunk end in the source text.")
    question: str = Field("", description="For qa / rubric / interview chunks: the question text.")
    question_id: str = Field("", description="Bank item id this chunk belongs to, if any.")


class Filters(BaseModel):
    """Metadata filters for retrieval; empty fields do not filter."""

    doc: list[str] = Field(default_factory=list)
    topic: list[str] = Field(default_factory=list)
    level: list[Level] = Field(default_factory=list)
    kind: list[Kind] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.doc or self.topic or self.level or self.kind)


class Hit(BaseModel):
    chunk: Chunk
    score: float
    dense_score: float | None = Field(None, description="Cosine similarity of the dense vector, if computed.")
    vector: list[float] | None = Field(None, exclude=True, repr=False,
                                       description="The chunk's stored dense vector (reused by the citation "
                                                   "checker; never serialised).")


class Probe(BaseModel):
    """A two-option question that checks one key point in a candidate's own words: the LLM reads
    the candidate's sentences and picks ``right``, ``wrong`` (the point with its relation swapped,
    reversed or its number changed) or 'not said'. Python compares the pick with ``right``."""

    question: str = Field(description="'Which method merges the most frequent pairs?'")
    right: str = Field(description="The answer the notes give: 'BPE'.")
    wrong: str = Field(description="The tempting wrong answer: 'WordPiece'.")


class KeyPoint(BaseModel):
    text: str = Field(description="One fact a strong answer states, in the notes' language.")
    support: str = Field("", description="The part of the reference answer that states it (verbatim).")
    origin: Literal["pro", "reference", "strong_answer", "reviewed", "llm", "user"] = "reference"
    probe: Probe | None = None


class Rubric(BaseModel):
    """What an answer to one bank item is graded against (tutor.grading.rubric builds it)."""

    key_points: list[KeyPoint] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    origin: Literal["structure", "reviewed", "llm", "user"] = "structure"
    ref_hash: str = Field("", description="Hash of the question + reference it was built from.")


class BankItem(BaseModel):
    """One interview question with everything needed to quiz and grade it."""

    id: str = Field(description="Stable id derived from the normalised question text.")
    topic: str
    level: Level | None = None
    question: str
    question_alt: list[str] = Field(default_factory=list, description="Same question in other docs/languages.")
    alternates: list[str] = Field(default_factory=list, description="Typed phrasings of the question "
                                  "(reviewed data, tutor/grading/rubrics.jsonl) for the bank-question index.")
    reference_answer: str = ""
    key_points: list[str] = Field(default_factory=list, description="'What a pro should cover'.")
    key_points_derived: bool = Field(False, description="True if key points were derived by the LLM.")
    red_flags: list[str] = Field(default_factory=list)
    weak_answer: str = ""
    strong_answer: str = ""
    lang: Lang = "ru"
    docs: list[str] = Field(default_factory=list)
    source_chunk_ids: list[str] = Field(default_factory=list)
    rubric: Rubric | None = Field(None, description="Built at ingest (tutor.grading.rubric).")


class Citation(BaseModel):
    n: int = Field(description="The [n] marker used in the answer text.")
    chunk_id: str
    doc: str
    section: str
    text: str = Field("", description="The chunk text, for source cards.")
    origin: Literal["notes", "context"] = Field(
        "notes", description="'notes': the answer shows this source's sentences verbatim (``quotes``); "
                             "'context': retrieved for the question and shown to the explainer.")
    quotes: list[str] = Field(default_factory=list, description="The source's sentences the answer "
                              "shows verbatim (the source viewer highlights them).")


class Mixup(BaseModel):
    """An answer part crediting ``said_of`` with ``term`` that the notes (source ``source``) only
    state of ``notes_tie_to`` (tutor.answering.crosscheck)."""

    part: str
    term: str
    said_of: str
    notes_tie_to: str
    source: int
    evidence: str = ""  # the source line holding the term, prefixed with the rival it speaks of


class Removed(BaseModel):
    """A sentence of the model's explanation removed because the notes say otherwise (tutor.answering.factcheck)."""

    sentence: str
    check: Literal["numbers", "comparison", "expansion"]
    detail: str


class Answer(BaseModel):
    """Notes first: ``notes`` is what the notes say (verbatim, cited), ``explanation`` the model's
    explanation of it (uncited, checked against the notes); ``text`` shows both."""

    question: str
    rewritten_query: str = ""
    text: str
    notes: str = Field("", description="The notes' own answer or their closest sentences, verbatim.")
    notes_origin: Literal["bank", "extract", ""] = Field(
        "", description="'bank': the reference answer of the matched bank item; 'extract': sentences "
                        "of the top sources; '': the notes do not cover the question.")
    bank_question: str = Field("", description="The bank question the typed question was matched to.")
    bank_id: str = ""
    explanation: str = Field("", description="The model's explanation of the notes (not cited).")
    removed: list[Removed] = Field(default_factory=list, description="Explanation sentences removed "
                                   "because they disagree with the notes (the text says how many).")
    citations: list[Citation] = Field(default_factory=list)
    covered: bool = Field(True, description="False when the notes don't cover the question.")
    unknown_terms: list[str] = Field(default_factory=list, description="Terms of the question no note mentions.")
    lang: Lang = "ru"
    style: str = Field("", description="'' (the default) | explain | more | simpler | english: how the explanation was "
                                         "asked for.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage "
                                      "(notes_s: first content; total_s: complete).")
    looped: bool = Field(False, description="The model fell into a repetition loop: its stream was stopped "
                                            "and the repeated sentences removed (the text says so).")
