"""An LRU cache of document vectors of short texts (single words for ``tutor.term_bridge``,
sentences of sources for the citation checker) over the ``Embedder`` port."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from tutor.ports import Embedder


class TextVectors:
    """Unit vectors of short texts (words, sentences) embedded as documents through the ``Embedder``
    port, kept in an LRU cache (float32)."""

    def __init__(self, embedder: Embedder, cache_size: int = 8192) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order (an empty list gives a 0 x 0 array)."""
        with self._lock:
            found = {t: self._cache[t] for t in set(texts) if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))  # first-seen order
        if missing:
            fresh = {t: np.asarray(v, dtype=np.float32)
                     for t, v in zip(missing, self.embedder.embed_documents(missing), strict=True)}
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)
