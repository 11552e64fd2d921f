"""The bank-question index: every bank question and its alternate phrasings embedded on their own,
so a question typed in any words reaches its bank item (the grader and notes-first answers use it).

Both sides go through the embedder's query encoder (question vs question, one prompt). The index
is cached next to the bank (``<bank>.questions.npz``) under a key of the questions and the
embedder, so a re-ingest that changes no question reuses it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.core.types import BankItem
from tutor.retrieval.thresholds import RETRIEVAL
from tutor.text.similarity import unit_rows

log = logging.getLogger("tutor.retrieval.bank_index")



@dataclass(frozen=True)
class Match:
    item: BankItem
    score: float
    text: str  # the bank phrasing that matched (the question or one of its alternates)


class QuestionIndex:
    def __init__(self, items: Sequence[BankItem], texts: list[str], owners: list[int], vectors: np.ndarray) -> None:
        self.items = list(items)
        self.texts = texts
        self.owners = owners
        self.vectors = unit_rows(vectors)  # once here, so a query costs one matrix-vector product

    @staticmethod
    def phrasings(items: Sequence[BankItem]) -> tuple[list[str], list[int]]:
        texts, owners = [], []
        for n, item in enumerate(items):
            for q in dict.fromkeys([item.question, *item.question_alt, *item.alternates]):
                if q.strip():
                    texts.append(q.strip())
                    owners.append(n)
        return texts, owners

    @classmethod
    def build(cls, items: Sequence[BankItem], encode: Callable[[str], list[float]]) -> QuestionIndex:
        texts, owners = cls.phrasings(items)
        return cls(items, texts, owners, _embed(texts, encode))

    @classmethod
    def cached(cls, items: Sequence[BankItem], encode: Callable[[str], list[float]], path: Path | None,
               model_key: str) -> QuestionIndex:
        """Load ``path`` when it was built from the same phrasings and model, else build and save."""
        texts, owners = cls.phrasings(items)
        key = hashlib.sha256(("\n".join(texts) + "\0" + model_key).encode("utf-8")).hexdigest()[:24]
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    if str(data["key"]) == key:
                        return cls(items, texts, owners, data["vectors"])
            except (OSError, ValueError, KeyError) as err:
                log.warning("bank question index %s unreadable (%s); rebuilding", path, err)
        index = cls(items, texts, owners, _embed(texts, encode))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, key=np.array(key), vectors=index.vectors)
            tmp.replace(path)
        return index

    def scores(self, vector: Sequence[float]) -> list[tuple[int, float, int]]:
        """(item index, best cosine, phrasing index) per item, best first."""
        if not self.texts:
            return []
        sims = self.vectors @ unit_rows(vector)[0]  # cosines: both sides unit length
        best: dict[int, tuple[float, int]] = {}
        for j, s in enumerate(sims.tolist()):
            n = self.owners[j]
            if n not in best or s > best[n][0]:
                best[n] = (s, j)
        return sorted(((n, s, j) for n, (s, j) in best.items()), key=lambda t: -t[1])

    def nearest(self, vector: Sequence[float], k: int = 3) -> list[Match]:
        return [Match(self.items[n], s, self.texts[j]) for n, s, j in self.scores(vector)[:k]]

    def match(self, vector: Sequence[float], min_score: float = RETRIEVAL.match_min) -> Match | None:
        """The bank item a typed question asks, or None when no phrasing is close enough."""
        top = self.nearest(vector, 1)
        return top[0] if top and top[0].score >= min_score else None


def _embed(texts: list[str], encode: Callable[[str], list[float]]) -> np.ndarray:
    return np.array([encode(t) for t in texts], dtype=np.float32).reshape(len(texts), -1)
