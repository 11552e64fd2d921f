"""Building the question bank from parsed documents: one BankItem per interview question, merged
across documents.

Merging: items with the same id merge; an item from another document merges into an existing one
when both ask the same kind of question (what / compare / why / when / how / design) about the
same technical terms (Latin-script terms with Jaccard >= 0.6, or >= 0.5 among at most 3 terms; e.g. 'What is KV cache?' and
'Что такое KV-cache и зачем он нужен?'). The first item (document order) stays primary; the
others' questions become ``question_alt`` and their points, flags, answers and chunks are added.
"""

from __future__ import annotations

import re

from ingest.parse import ParsedDocument
from tutor.core.bank import QuestionBank
from tutor.core.types import BankItem
from tutor.text.words import STOPWORDS_EN, normalise_text

_INTENTS = [
    ("compare", r"\bvs\b|сравн|compare|разниц|difference|отлича"),
    ("design", r"спроектир|\bdesign\b"),
    ("what", r"^(what (is|are)|что так(ое|ие)|explain|объясните|опишите)\b"),
    ("why", r"\b(why|почему|зачем)\b"),
    ("when", r"\b(when|когда)\b"),
    ("how", r"\b(how|как)\b"),
]
# Words a question is phrased with rather than about: the one English stop-word list plus these.
# (Checked 2026-12-07: the shipped corpus merges into the same bank as with the old own list.)
QUESTION_WORDS = frozenset(["between", "compare", "difference", "explain", "over", "should", "use", "using", "vs", "work", "works"])
_STOP = STOPWORDS_EN | QUESTION_WORDS
_SYNONYMS = {"кэш": "cache", "кеш": "cache", "кэша": "cache"}
MERGE_JACCARD = 0.5


def intent(question: str) -> str:
    """'GQA vs MQA vs MHA — в чём разница?' -> 'compare'; 'Explain LoRA' -> 'what'."""
    q = question.lower().strip()
    return next((name for name, pat in _INTENTS if re.search(pat, q)), "what")


def terms(question: str) -> frozenset[str]:
    """Technical terms of a question: 'Что такое KV-cache?' -> {'kv', 'cache'}."""
    words = re.findall(r"[a-zа-яё0-9]+", question.lower())
    out = {_SYNONYMS.get(w, w) for w in words}
    return frozenset(w for w in out if re.fullmatch(r"[a-z][a-z0-9]+", w) and w not in _STOP)


def same_question(a: BankItem, b: BankItem) -> float:
    """Similarity in [0, 1] used for cross-document merging; 0 when the intent differs."""
    ta, tb = terms(a.question), terms(b.question)
    if intent(a.question) != intent(b.question) or not (ta & tb) or max(map(len, ta & tb)) < 3:
        return 0.0
    score = len(ta & tb) / len(ta | tb)
    return score if score >= 0.6 or len(ta | tb) <= 3 else 0.0


def _union(a: list[str], b: list[str]) -> list[str]:
    seen = {normalise_text(x) for x in a}
    return a + [x for x in b if normalise_text(x) not in seen]


def merge(primary: BankItem, other: BankItem) -> BankItem:
    """Fold ``other`` into ``primary`` (primary's id, question, topic and answer win)."""
    alts = _union(primary.question_alt, [q for q in [other.question, *other.question_alt]
                                         if normalise_text(q) != normalise_text(primary.question)])
    return primary.model_copy(update={
        "question_alt": alts,
        "level": primary.level or other.level,
        "reference_answer": primary.reference_answer or other.reference_answer,
        "key_points": _union(primary.key_points, other.key_points),
        "red_flags": _union(primary.red_flags, other.red_flags),
        "weak_answer": primary.weak_answer or other.weak_answer,
        "strong_answer": primary.strong_answer or other.strong_answer,
        "docs": _union(primary.docs, other.docs),
        "source_chunk_ids": _union(primary.source_chunk_ids, other.source_chunk_ids),
    })


def build_bank(docs: list[ParsedDocument]) -> QuestionBank:
    """Merge the items of all documents. Chunks of merged-away items get the kept id as
    ``question_id`` (the documents' chunks are updated in place)."""
    items: list[BankItem] = []
    aliases: dict[str, str] = {}
    for doc in docs:
        for item in doc.items:
            target = _find(items, item)
            if target is None:
                items.append(item)
                continue
            if item.id != items[target].id:
                aliases[item.id] = items[target].id
            items[target] = merge(items[target], item)
    for doc in docs:
        for chunk in doc.chunks:
            chunk.question_id = aliases.get(chunk.question_id, chunk.question_id)
    return QuestionBank(items=items, aliases=aliases)

def _find(items: list[BankItem], item: BankItem) -> int | None:
    best, best_score = None, MERGE_JACCARD
    for i, kept in enumerate(items):
        if kept.id == item.id:
            return i
        if set(kept.docs) & set(item.docs):
            continue
        score = same_question(kept, item)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = i, score
    return best
