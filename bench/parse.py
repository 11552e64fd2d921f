"""Parse time per layout and size: is parsing linear, and under 1 s per MB? (issue 22)

Synthetic notes from the seed corpus's sentences (``evals.library``) in each layout, parsed with
``ingest.parse.parse_document`` (reading + structure + chunking + ids; no embedding).

    .venv/bin/python bench/parse.py                      # 1, 4, 16 MB, every layout
    .venv/bin/python bench/parse.py --sizes 1 4 --layouts facts pdf

PDF files are drawn with matplotlib (slow to write); their time includes pypdf's text extraction.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from evals.library import LAYOUTS, units_for_bytes, write_layout
from ingest.parse import parse_document


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16], help="MB of text per file")
    ap.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS)
    args = ap.parse_args()
    print(f"{'layout':<11}{'MB':>6}{'chunks':>9}{'parse s':>10}{'s/MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for warm in ("markdown", "facts"):  # imports (llama-index on first long prose), compiled patterns
            parse_document(write_layout(Path(tmp) / "warm", warm, 300))
        for layout in args.layouts:
            for mb in args.sizes:
                path = write_layout(Path(tmp), layout, units_for_bytes(layout, int(mb * 1_000_000)))
                t = time.perf_counter()
                doc = parse_document(path)
                dt = time.perf_counter() - t
                text_mb = len(doc.text.encode("utf-8")) / 1_000_000
                print(f"{layout:<11}{text_mb:>6.1f}{len(doc.chunks):>9}{dt:>10.2f}{dt / text_mb:>8.2f}", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
