"""Cross-lingual term bridge: which stemmed terms of a claim are the same word as a source term
written in the other script ("стабильнее" ~ "Stable", "памяти" ~ "Memory", "weights" ~ "веса").

The notes are Russian with English terms and tables; the tutor answers in the question's language,
so a Russian answer often translates an English table row and an English answer translates Russian
notes. The citation checker's lexical test (shared stemmed terms) sees nothing in common there and
leaves a correct claim uncited. The bridge pairs single words across scripts by the cosine of their
embeddings (the app's multilingual ``Embedder``; word pairs measured in docs/answering.md): a pair
counts as one shared term when the cosine is >= ``threshold``.

Pure logic (``surface_words``, ``pair_terms``) and ``bridge_terms`` (word vectors from a
``tutor.text_vectors.TextVectors`` cache), which the citation checker and the real answer test
both call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from ingest.sparse import terms
from tutor.text_vectors import TextVectors

Script = Literal["cyr", "lat"]

_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]{3,}")
_CYR = re.compile(r"[а-яё]")
_OTHER: dict[str, Script] = {"cyr": "lat", "lat": "cyr"}


def script(term: str) -> Script:
    return "cyr" if _CYR.search(term) else "lat"


def surface_words(text: str) -> dict[str, str]:
    """Stemmed term -> the first word of ``text`` it comes from (single-script words of >= 3
    letters; stopwords have no term and are skipped). What gets embedded is the word, not the stem.

    surface_words('Stable, simpler; стабильнее') -> {'stabl': 'stable', 'simpler': 'simpler', ...}
    """
    out: dict[str, str] = {}
    for word in _WORD.findall(text):
        stems = terms(word)
        if len(stems) == 1:
            out.setdefault(stems[0], word.lower())
    return out


def bridge_terms(claims: Sequence[str], sources: Sequence[str], words: TextVectors, threshold: float,
                 ignore: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """Terms of ``claims`` that no source holds (and the question did not bring: ``ignore``) ->
    terms of ``sources`` in the other script that are the same word (word cosine >= ``threshold``).
    Only the words that need it are embedded (one batch; known words come from the cache).

    'памяти' in a claim over a source that says 'Memory' -> {'памят': frozenset({'memory'})}
    """
    held = set(ignore).union(*(terms(s) for s in sources))
    wanted: dict[str, str] = {}
    for claim in claims:
        wanted.update({t: w for t, w in surface_words(claim).items() if t not in held})
    need = {script(t) for t in wanted}
    offered = {t: w for s in sources for t, w in surface_words(s).items()
               if t not in ignore and _OTHER[script(t)] in need}
    if not wanted or not offered:
        return {}
    return pair_terms(list(wanted), words(list(wanted.values())), list(offered), words(list(offered.values())),
                      threshold)


def pair_terms(claim_terms: Sequence[str], claim_vecs: np.ndarray, source_terms: Sequence[str],
               source_vecs: np.ndarray, threshold: float) -> dict[str, frozenset[str]]:
    """claim term -> source terms of the OTHER script whose word cosine is >= ``threshold``
    (vectors are unit length, one row per term)."""
    if not len(claim_terms) or not len(source_terms):
        return {}
    sims = claim_vecs @ source_vecs.T
    out: dict[str, frozenset[str]] = {}
    for i, t in enumerate(claim_terms):
        mine = script(t)
        same = frozenset(s for j, s in enumerate(source_terms) if sims[i, j] >= threshold and script(s) != mine)
        if same:
            out[t] = same
    return out
