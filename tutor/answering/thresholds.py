"""Every tuned number of notes-first answering, in one place, each with the data and the command that
set it. Protocol: evals/data/answers/questions.jsonl split by question into tune and test; values
were fit on tune only (docs/answering.md). ``settings`` may override the three relevance cut-offs
(``min_relevance``, ``source_floor``, ``source_gap``; ``AnsweringThresholds.overridden``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.settings import Settings

RELEVANCE = ("min_relevance", "source_floor", "source_gap")  # the cut-offs settings may override


@dataclass(frozen=True)
class AnsweringThresholds:
    # Below this dense cosine a retrieved chunk is not relevant ("the notes don't cover this"): in-scope
    # questions' best hit >= 0.372, out-of-scope <= 0.24 (tests/integration/test_answer_real.py, the
    # 30 + 10 calibration questions; docs/answering.md).
    min_relevance: float = 0.30
    # A source after the first is shown when its dense cosine reaches source_floor and is at most
    # source_gap below the best one: no labelled-relevant hit of 270 queries dropped
    # (`python -m evals.source_focus`, docs/answering.md).
    source_floor: float = 0.35
    source_gap: float = 0.25
    # A question whose closest bank phrasing is below the bank index's match_min still gets that
    # item's notes when the top retrieved source is the item's own chunk and the phrasing cosine
    # reaches agree_min (two independent signals agree). First choice, checked on the tune split.
    agree_min: float = 0.55
    # Extractive notes (no bank item) only when the best source's dense cosine reaches extract_min: on
    # the tune split the in-scope questions without a bank item had >= 0.489, the out-of-scope ones
    # that matched no bank item <= 0.372 (`python -m evals.answer_scores tune`).
    extract_min: float = 0.45
    # A longer bank answer is cut at a sentence end (the whole text stays in the source card).
    max_notes_chars: int = 1400
    # Extractive notes: at most extract_sentences sentences, from at most extract_sources top
    # sources; a sentence shares at least extract_min_shared of the question's stemmed terms. First choices.
    extract_sentences: int = 3
    extract_sources: int = 2
    extract_min_shared: int = 1
    # Under a bank answer, "also in your notes": sentences of the other retrieved sources sharing at
    # least also_min_shared question terms (a fact the question asks may live in another document).
    also_sentences: int = 2
    also_sources: int = 2
    also_min_shared: int = 2
    # A quoted table row brings its table: header, rule and at most table_rows rows. First choice
    # (the notes' comparison tables have 3-8 rows).
    table_rows: int = 8
    # A quoted sentence brings the sentences after it in its paragraph while the quote stays within
    # paragraph_chars. First choice (tune: the fact a035 asks sat in the sentence after the quoted one).
    paragraph_chars: int = 400

    def overridden(self, settings: Settings) -> AnsweringThresholds:
        """These values with the relevance cut-offs the user set (``TUTOR_MIN_RELEVANCE`` ...; unset keeps them)."""
        return replace(self, **{k: v for k in RELEVANCE if (v := getattr(settings, k)) is not None})


ANSWERING = AnsweringThresholds()
