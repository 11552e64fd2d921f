"""Synthetic note libraries built from the seed corpus, in the layouts candidates keep notes in.

Each layout renders ``n`` units (a fact line, a paragraph, a headed section, a Q/A pair, a notebook
cell pair, a PDF page) from the corpus's own sentences, made unique by a running number so no two
units are identical unless asked. Used by the parse benchmark (``bench/parse.py``) and the
linear-parsing test (``tests/unit/test_parse_linear.py``).

    write_layout(Path("/tmp/x"), "facts", 3).read_text().count("\\n")  -> 2
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from tutor.core.types import Chunk
from tutor.text.sentences import sentences

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
LAYOUTS = ("facts", "paragraphs", "markdown", "qa", "ipynb", "pdf")
SUFFIX = {"facts": ".txt", "paragraphs": ".txt", "markdown": ".md", "qa": ".txt", "ipynb": ".ipynb", "pdf": ".pdf"}
@lru_cache(maxsize=4)  # every render draws from the same pool
def seed_sentences(corpus: Path = CORPUS) -> tuple[str, ...]:
    """Prose sentences of the seed notes (no headings, tables, questions or list markers), split by
    the one sentence splitter (``tutor.text.sentences``)."""
    out: list[str] = []
    for path in sorted(corpus.glob("*.txt")) + sorted(corpus.glob("*.md")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if len(line) < 40 or line.startswith(("#", "|", "-", "*", "Q:", "A:", "Вопрос", "```")) or "?" in line:
                continue
            out.extend(s for s in sentences(line) if len(s) >= 30)
    return tuple(out)


def _stream(seed: int) -> Iterator[str]:
    pool = seed_sentences()
    rnd = random.Random(seed)
    n = 0
    while True:
        n += 1
        yield f"{rnd.choice(pool).rstrip('.')} ({n})."


def render(layout: str, n: int, seed: int = 0) -> str | dict[str, object]:
    """The text (or notebook JSON) of ``n`` units of ``layout``; PDF pages are rendered by
    ``write_layout``."""
    s = _stream(seed)
    if layout in ("facts", "pdf"):
        return "\n".join(next(s) for _ in range(n))
    if layout == "paragraphs":
        return "\n\n".join(" ".join(next(s) for _ in range(4)) for _ in range(n))
    if layout == "markdown":
        return "\n\n".join(f"## Заметка {i + 1}\n\n" + " ".join(next(s) for _ in range(3)) for i in range(n))
    if layout == "qa":
        return "\n\n".join(f"Q: Что важно знать о пункте {i + 1}?\nA: " + " ".join(next(s) for _ in range(3))
                           for i in range(n))
    if layout == "ipynb":
        cells: list[dict[str, object]] = []
        for i in range(n):
            cells.append({"cell_type": "markdown", "metadata": {},
                          "source": f"## Ячейка {i + 1}\n\n" + " ".join(next(s) for _ in range(3))})
            cells.append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                          "source": f"x_{seed}_{i} = load('notes-{seed}')\nprint(len(x_{seed}_{i}))"})
        return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")


def write_layout(folder: Path, layout: str, n: int, seed: int = 0) -> Path:
    """Write ``n`` units of ``layout`` to ``folder/<layout>-<n><suffix>`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{layout}-{n}{SUFFIX[layout]}"
    body = render(layout, n, seed)
    if layout == "ipynb":
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    elif layout == "pdf":
        _write_pdf(path, str(body).splitlines())
    else:
        path.write_text(str(body), encoding="utf-8")
    return path


def _write_pdf(path: Path, lines: list[str], per_page: int = 40) -> None:
    """One page per ``per_page`` lines, drawn with matplotlib's PDF backend (no extra dependency)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        for start in range(0, max(1, len(lines)), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            for row, line in enumerate(lines[start:start + per_page]):
                fig.text(0.03, 0.97 - row * 0.024, line[:150], fontsize=6, parse_math=False)
            pdf.savefig(fig)
            plt.close(fig)


def units_for_bytes(layout: str, target_bytes: int, seed: int = 0) -> int:
    """How many units of ``layout`` make about ``target_bytes`` of text (measured on 200 units)."""
    sample = render("facts" if layout == "pdf" else layout, 200, seed)
    size = len((json.dumps(sample, ensure_ascii=False) if isinstance(sample, dict) else sample).encode("utf-8"))
    return max(1, round(200 * target_bytes / max(1, size)))


def library_chunks(n: int, folder: Path, corpus: Path = CORPUS) -> list[Chunk]:
    """At least ``n`` distinct chunks, real parses: the seed corpus first, then synthetic notes in
    every layout but PDF (150 units each, written under ``folder``), cut to ``n``."""
    from ingest.parse import parse_paths

    docs, _ = parse_paths([corpus])
    chunks = [c for d in docs for c in d.chunks]
    seed = 0
    while len(chunks) < n:
        for layout in (x for x in LAYOUTS if x != "pdf"):
            path = write_layout(folder / f"s{seed}", layout, 150, seed=seed)
            d, _ = parse_paths([path])
            chunks += [c for doc in d for c in doc.chunks]
        seed += 1
    unique = {c.chunk_id: c for c in chunks}
    return list(unique.values())[:n]
