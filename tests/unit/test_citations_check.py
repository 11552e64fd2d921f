from __future__ import annotations

from tutor.core.types import Chunk, Citation, Hit
from tutor.llm.budget import truncate
from tutor.retrieval.citations import sources_from_hits


def _src(n: int, text: str = "text") -> Citation:
    return Citation(n=n, chunk_id=f"c{n}", doc=f"d{n}.txt", section=f"S{n}", text=text)


def count(text: str) -> int:
    return len(text.split())


def test_sources_from_hits_numbers_in_rank_order_and_falls_back_to_heading_path():
    hits = [Hit(chunk=Chunk(chunk_id="a", doc="x.txt", text="ta", section="Sec A"), score=0.9),
            Hit(chunk=Chunk(chunk_id="b", doc="y.txt", text="tb", heading_path=["H1", "H2"]), score=0.5)]
    srcs = sources_from_hits(hits)
    assert [(s.n, s.chunk_id, s.section) for s in srcs] == [(1, "a", "Sec A"), (2, "b", "H1 > H2")]


def test_truncate_cuts_at_word_boundary_with_an_ellipsis():
    text = " ".join(f"w{i}" for i in range(100))
    cut = truncate(text, 10, count)
    assert count(cut) <= 10 and cut.endswith("…") and cut.startswith("w0 w1")
    assert truncate("short text", 10, count) == "short text"
