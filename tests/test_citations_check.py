from __future__ import annotations

from tutor.citations import check_citations, fit_sources, sources_from_hits, truncate_to_tokens
from tutor.types import Chunk, Citation, Hit


def _src(n: int, text: str = "text") -> Citation:
    return Citation(n=n, chunk_id=f"c{n}", doc=f"d{n}.txt", section=f"S{n}", text=text)


def count(text: str) -> int:
    return len(text.split())


def test_valid_marker_kept_invalid_removed():
    out = check_citations("LoRA is cheap [1]. It adds adapters [7].", [_src(1), _src(2)])
    assert out.text == "LoRA is cheap [1]. It adds adapters."
    assert [c.n for c in out.citations] == [1]
    assert out.citations[0].chunk_id == "c1" and out.citations[0].doc == "d1.txt"
    assert out.removed == [7]


def test_grouped_and_ranged_markers_are_normalised():
    out = check_citations("A [1, 3]. B [2-3]. C [source 2]. D [1,9].", [_src(i) for i in (1, 2, 3)])
    assert out.text == "A [1][3]. B [2][3]. C [2]. D [1]."
    assert [c.n for c in out.citations] == [1, 2, 3]
    assert out.removed == [9]


def test_code_indexing_is_left_alone_but_glued_valid_citation_counts():
    out = check_citations("Use x[0] and y[5]; fact[1].", [_src(1)])
    assert out.text == "Use x[0] and y[5]; fact[1]."
    assert [c.n for c in out.citations] == [1]
    assert out.removed == []


def test_no_citations_gives_empty_list():
    out = check_citations("Nothing cited here.", [_src(1)])
    assert out.citations == [] and out.text == "Nothing cited here."


def test_zero_is_not_a_source():
    out = check_citations("Bad [0] marker.", [_src(1)])
    assert out.text == "Bad marker." and out.removed == [0]


def test_sources_from_hits_numbers_in_rank_order_and_falls_back_to_heading_path():
    hits = [Hit(chunk=Chunk(chunk_id="a", doc="x.txt", text="ta", section="Sec A"), score=0.9),
            Hit(chunk=Chunk(chunk_id="b", doc="y.txt", text="tb", heading_path=["H1", "H2"]), score=0.5)]
    srcs = sources_from_hits(hits)
    assert [(s.n, s.chunk_id, s.section) for s in srcs] == [(1, "a", "Sec A"), (2, "b", "H1 > H2")]


def test_truncate_to_tokens_cuts_at_word_boundary():
    text = " ".join(f"w{i}" for i in range(100))
    cut = truncate_to_tokens(text, 10, count)
    assert count(cut) <= 10 and cut.endswith("…") and cut.startswith("w0 w1")
    assert truncate_to_tokens("short text", 10, count) == "short text"


def test_fit_sources_drops_lowest_ranked_first_and_renumbers():
    srcs = [_src(i, " ".join(["w"] * 50)) for i in (1, 2, 3)]
    kept = fit_sources(srcs, budget=120, count_tokens=count, max_source_tokens=100, overhead=5)
    assert [s.chunk_id for s in kept] == ["c1", "c2"]
    assert [s.n for s in kept] == [1, 2]


def test_fit_sources_cuts_long_sources_and_keeps_first_when_tight():
    srcs = [_src(1, " ".join(["w"] * 500)), _src(2, "short")]
    kept = fit_sources(srcs, budget=60, count_tokens=count, max_source_tokens=100, overhead=5)
    assert [s.chunk_id for s in kept] == ["c1"]
    assert count(kept[0].text) <= 56
    kept = fit_sources(srcs, budget=500, count_tokens=count, max_source_tokens=100, overhead=5)
    assert [s.chunk_id for s in kept] == ["c1", "c2"] and count(kept[0].text) <= 101
