"""BM25-style sparse vectors for Russian + English technical notes (pure: no heavy imports).

Documents get saturated, length-normalised term frequencies (the BM25 TF part); queries get 1.0
per unique term. Qdrant applies the IDF part itself (sparse vector config ``modifier=IDF``), so the
dot product in Qdrant is exactly BM25.

    >>> terms("KV-cache в LLaMA и int8 квантизация")
    ['kv-cache', 'kv', 'cach', 'llama', 'int8', 'квантизац']
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import Stemmer  # PyStemmer: a small C extension, no model files

# A token starts with a letter or digit and may contain inner '-', '.', '+', '/' (kv-cache, gpt-4o,
# fp8, c++, top-p); trailing punctuation is stripped.
_TOKEN = re.compile(r"[0-9a-zа-яё][0-9a-zа-яё_+]*(?:[-./][0-9a-zа-яё_+]+)*", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS_EN_TEXT = (
    "a an and are as at be been but by can could do does did for from had has have how i if in into is it "
    "its just me more most my no not of on or our so such than that the their them then there these they "
    "this those to too was we were what when where which while who whom why will with would you your "
)
STOPWORDS_EN = _words(_STOPWORDS_EN_TEXT)

_STOPWORDS_RU_TEXT = (
    "а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до "
    "его ее её если есть еще ещё же за здесь и из или им их к как какая какие какой когда кто ли либо "
    "между меня мне может мы на над надо не него нее неё нет ни них но ну о об однако он она они оно от "
    "очень по под при про с со так также такое такой там те тем то того тоже той только том ту ты у уже "
    "хотя чего чей чем что чтобы чьё чья эта эти это этого этой этом этот я "
)
STOPWORDS_RU = _words(_STOPWORDS_RU_TEXT)


@dataclass(frozen=True)
class SparseVec:
    """Parallel lists, ready for ``qdrant_client.models.SparseVector(indices=..., values=...)``."""

    indices: list[int]
    values: list[float]


@lru_cache(maxsize=2)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(lang)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Stem one lowercased word by its script; words with digits or mixed scripts stay as they are.

    'квантизация' -> 'квантизац', 'caching' -> 'cach', 'int8' -> 'int8'
    """
    if any(ch.isdigit() for ch in word):
        return word
    cyr, lat = bool(_CYRILLIC.search(word)), bool(_LATIN.search(word))
    if cyr and not lat:
        return str(_stemmer("russian").stemWord(word))
    if lat and not cyr:
        return str(_stemmer("english").stemWord(word))
    return word


def _is_stop(word: str) -> bool:
    return word in STOPWORDS_EN or word in STOPWORDS_RU


def terms(text: str) -> list[str]:
    """Stemmed terms in order. A compound ('kv-cache', 'top-p') is kept whole AND split into its
    parts, so 'KV cache' and 'KV-cache' still match. Single characters and stopwords are dropped.

    'Что такое KV-cache?' -> ['kv-cache', 'kv', 'cach']
    """
    out: list[str] = []
    for raw in _TOKEN.findall(text.lower().replace("ё", "е")):
        word = raw.strip("._+-/")
        parts = [p for p in re.split(r"[-./]", word) if p]
        if len(parts) > 1:
            out.append(word)
        for part in parts:
            if len(part) < 2 and not part.isdigit() or _is_stop(part):
                continue
            out.append(_stem(part))
    return out


def term_id(term: str) -> int:
    """Stable across processes and machines: blake2b of the term, mod 2**31.

    'kv' -> always the same non-negative int < 2**31
    """
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (2**31)


class SparseEncoder:
    """BM25 TF part for documents, binary weights for queries.

    ``avg_len`` is a fixed constant (terms per chunk) rather than a corpus statistic so that a
    document's vector never changes when other documents are added: ingest stays incremental.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, avg_len: float = 120.0) -> None:
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def encode_document(self, text: str) -> SparseVec:
        """tf -> tf*(k1+1) / (tf + k1*(1 - b + b*len/avg_len)), one entry per term id."""
        toks = terms(text)
        norm = self.k1 * (1 - self.b + self.b * len(toks) / self.avg_len)
        weights: dict[int, float] = {}
        for term, tf in Counter(toks).items():
            idx = term_id(term)
            weights[idx] = weights.get(idx, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return _to_vec(weights)

    def encode_query(self, text: str) -> SparseVec:
        """1.0 per unique term: Qdrant multiplies by IDF, so the score is sum(IDF * doc TF)."""
        return _to_vec({term_id(t): 1.0 for t in terms(text)})


def _to_vec(weights: dict[int, float]) -> SparseVec:
    items = sorted(weights.items())
    return SparseVec(indices=[i for i, _ in items], values=[round(v, 6) for _, v in items])
