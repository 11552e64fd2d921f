"""The sparse scorer (posting lists for many points, bisect for a few) gives exactly qdrant-client's
local-mode results, sees every change to the stored vectors, and open_store installs it."""

from __future__ import annotations

import random

import numpy as np
import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.local import local_collection, sparse_distances

from tutor.core.settings import Settings
from tutor.retrieval import local_sparse
from tutor.retrieval.store import open_store

STOCK = sparse_distances.calculate_distance_sparse


def _vector(rng: random.Random, vocab: int, size: int) -> models.SparseVector:
    indices = sorted(rng.sample(range(vocab), size))
    return models.SparseVector(indices=indices, values=[rng.uniform(-2, 3) for _ in indices])


@pytest.fixture
def stock_scorer():
    """Run a test with qdrant-client's own scorer in place, whatever was installed before."""
    saved = local_collection.calculate_distance_sparse
    local_collection.calculate_distance_sparse = STOCK
    yield
    local_collection.calculate_distance_sparse = saved


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("empty_is_zero", [False, True])
@pytest.mark.parametrize("n", [60, local_sparse.POSTINGS_MIN + 40])  # the bisect path and the postings path
def test_scores_equal_stock_bit_for_bit(seed: int, empty_is_zero: bool, n: int) -> None:
    rng = random.Random(seed)
    vocab = rng.choice([8, 50, 5000])
    query = _vector(rng, vocab, rng.randint(0, min(vocab, 12)))
    points = [_vector(rng, vocab, rng.randint(0, min(vocab, 300))) for _ in range(n)]
    ours = local_sparse.calculate_distance_sparse(query, points, empty_is_zero)
    stock = STOCK(query, points, empty_is_zero)
    assert ours.dtype == stock.dtype == np.float32
    assert np.array_equal(ours, stock)  # -inf == -inf, no tolerance


def test_postings_follow_every_change_to_the_stored_vectors() -> None:
    """Local mode replaces a point's vector object on a write and appends new points: each change is
    seen (a stale snapshot would give the old scores)."""
    rng = random.Random(7)
    points = [_vector(rng, 40, rng.randint(1, 10)) for _ in range(local_sparse.POSTINGS_MIN + 10)]
    query = _vector(rng, 40, 6)
    first = local_sparse.calculate_distance_sparse(query, points)
    assert local_sparse.postings_for(points).holds(points)  # cached
    assert np.array_equal(local_sparse.calculate_distance_sparse(query, list(points)), first)  # a copy hits it
    points[3] = models.SparseVector(indices=sorted(query.indices), values=[9.0] * len(query.indices))
    points.append(_vector(rng, 40, 5))
    changed = local_sparse.calculate_distance_sparse(query, points)
    assert np.array_equal(changed, STOCK(query, points))
    assert changed[3] > first[3] and len(changed) == len(first) + 1


def test_edge_cases_match_stock() -> None:
    empty = models.SparseVector(indices=[], values=[])
    one = models.SparseVector(indices=[7], values=[0.5])
    far = models.SparseVector(indices=[1, 9], values=[1.0, 2.0])
    for query in (empty, one, far):
        for flag in (False, True):
            got = local_sparse.calculate_distance_sparse(query, [empty, one, far], flag)
            assert np.array_equal(got, STOCK(query, [empty, one, far], flag))
    assert local_sparse.calculate_distance_sparse(one, [], False).shape == (0,)


def _ranked(client: QdrantClient, query: models.SparseVector) -> list[tuple[int, float]]:
    points = client.query_points("c", query=query, using="s", limit=10).points
    return [(p.id, p.score) for p in points]


def test_local_collection_ranks_like_stock(stock_scorer: None) -> None:
    """Through the real local-mode query path (IDF modifier, deletes, upserts): same ids and scores."""
    rng = random.Random(3)
    client = QdrantClient(":memory:")
    client.create_collection("c", vectors_config={}, sparse_vectors_config={
        "s": models.SparseVectorParams(modifier=models.Modifier.IDF)})
    unsorted = models.SparseVector(indices=[70, 40, 3, 17], values=[1.0, 1.0, 2.0, 0.5])  # local mode sorts it
    client.upsert("c", [models.PointStruct(id=i, vector={"s": _vector(rng, 60, rng.randint(1, 25))})
                        for i in range(400)] + [models.PointStruct(id=500, vector={"s": unsorted})])
    client.delete("c", points_selector=models.PointIdsList(points=[5, 6, 7]))
    queries = [_vector(rng, 60, rng.randint(1, 6)) for _ in range(30)] + [
        models.SparseVector(indices=[70, 17, 3], values=[1.0, 1.0, 1.0])]
    stock = [_ranked(client, q) for q in queries]
    assert local_sparse.install()
    ours = [_ranked(client, q) for q in queries]
    assert ours == stock
    assert any(pid == 500 for pid, _ in ours[-1])
    client.upsert("c", [models.PointStruct(id=9, vector={"s": models.SparseVector(indices=[3, 17], values=[5.0, 5.0])})])
    assert _ranked(client, queries[-1])[0][0] == 9  # a write after the postings were built is seen


def test_open_store_installs_it_on_the_embedded_path(tmp_path, stock_scorer: None) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    try:
        assert local_collection.calculate_distance_sparse is local_sparse.calculate_distance_sparse
        assert local_sparse.install()  # idempotent
    finally:
        store.close()


def test_install_leaves_an_unknown_scorer_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def other(query, vectors, empty_is_zero=False):  # e.g. a future qdrant-client's own fast path
        return np.zeros(len(vectors), dtype=np.float32)

    monkeypatch.setattr(local_collection, "calculate_distance_sparse", other)
    assert local_sparse.install() is False
    assert local_collection.calculate_distance_sparse is other


def test_install_leaves_a_scorer_with_another_signature_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(query, vectors, empty_is_zero=False, idf=None):  # a future version with more to do
        return STOCK(query, vectors, empty_is_zero)

    monkeypatch.setattr(local_collection, "calculate_distance_sparse", changed)
    monkeypatch.setattr(sparse_distances, "calculate_distance_sparse", changed)
    assert local_sparse.install() is False
    assert local_collection.calculate_distance_sparse is changed
