"""Numbered sources built from hits. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from tutor.core.types import Citation, Hit


def sources_from_hits(hits: Sequence[Hit]) -> list[Citation]:
    """Hits in rank order -> sources numbered 1..k (each carries doc, section, chunk_id, text)."""
    return [Citation(n=i, chunk_id=h.chunk.chunk_id, doc=h.chunk.doc,
                     section=h.chunk.section or " > ".join(h.chunk.heading_path), text=h.chunk.text)
            for i, h in enumerate(hits, start=1)]
