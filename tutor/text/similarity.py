"""Cosine similarity, the one implementation: of two vectors, and of every pair of rows.

    >>> round(cosine([1.0, 0.0], [1.0, 1.0]), 3)
    0.707
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine of two vectors of one length; a zero vector gives 0.0."""
    if len(a) != len(b):
        raise ValueError(f"vectors differ in length: {len(a)} vs {len(b)}")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def cosines(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Cosine of every row of ``a`` with every row of ``b`` (a 1-D ``b`` is one row): shape (len(a), len(b)),
    or (len(a),) for a 1-D ``b``. Zero rows give 0.0.

    >>> cosines([[1.0, 0.0], [0.0, 2.0]], [3.0, 0.0]).tolist()
    [1.0, 0.0]
    """
    x = np.atleast_2d(np.asarray(a, dtype=np.float32))
    y = np.asarray(b, dtype=np.float32)
    one = y.ndim == 1
    y = np.atleast_2d(y)
    sims: npt.NDArray[np.float32] = unit_rows(x) @ unit_rows(y).T
    return sims[:, 0] if one else sims


def unit_rows(m: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Each row scaled to length 1 (a zero row stays zero), as float32: normalise a matrix once, then
    a dot product with a unit query is its cosine. unit_rows([[3.0, 4.0]]).tolist() -> [[0.6, 0.8]]."""
    m = np.atleast_2d(np.asarray(m, dtype=np.float32))
    norms = np.linalg.norm(m, axis=1, keepdims=True).astype(np.float32)
    norms[norms == 0] = 1.0
    return m / norms
