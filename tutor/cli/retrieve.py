"""`tutor retrieve "query"` and the batch form `tutor retrieve --queries FILE.jsonl --json`.

Batch lines in: {"id": ..., "q": ...}; out (one JSON line per query, evaluation scripts rely on it):
{"id": ..., "hits": [{"chunk_id", "doc", "section", "text", "score"}]}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tutor.cli.common import echo_json, load_settings
from tutor.core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.types import Hit


def hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {"chunk_id": c.chunk_id, "doc": c.doc, "section": c.section, "text": c.text,
            "score": round(hit.score, 6), "dense_score": None if hit.dense_score is None
            else round(hit.dense_score, 6)}


def read_queries(path: Path) -> list[tuple[Any, str]]:
    """(id, q) per non-empty line; InputError names the bad line."""
    out: list[tuple[Any, str]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append((row["id"], str(row["q"])))
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise InputError(f"Line {n} of {path} is not a JSON object with 'id' and 'q'.") from err
    return out


def _readable(query: str, hits: list[Hit]) -> str:
    lines = [f"query: {query}"]
    for i, h in enumerate(hits, 1):
        cos = f"{h.dense_score:.3f}" if h.dense_score is not None else "-"
        lines.append(f"\n[{i}] score {h.score:.3f}  cosine {cos}  {h.chunk.doc} :: {h.chunk.section}")
        lines.append("    " + h.chunk.text.replace("\n", "\n    ")[:600])
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("retrieve")
    def retrieve(
        query: str = typer.Argument("", help="The search text (or use --queries)."),
        k: int = typer.Option(5, "--k", min=1, max=100),
        mode: str = typer.Option("hybrid", "--mode", help="hybrid | dense | sparse"),
        topic: list[str] = typer.Option([], "--topic"),
        level: list[str] = typer.Option([], "--level"),
        doc: list[str] = typer.Option([], "--doc"),
        kind: list[str] = typer.Option([], "--kind"),
        queries: Path = typer.Option(None, "--queries", help="JSONL file of {'id', 'q'} lines."),
        as_json: bool = typer.Option(False, "--json"),
        data_dir: Path = typer.Option(None, "--data-dir", help="Override settings.data_dir."),
    ) -> None:
        """Show the chunks the tutor would cite for a query."""
        from pydantic import ValidationError

        from tutor.core.types import Filters
        from tutor.services import Services

        if mode not in ("hybrid", "dense", "sparse"):
            raise InputError(f"Unknown mode {mode!r}: use hybrid, dense or sparse.")
        try:
            filters = Filters(topic=topic, level=level, doc=doc, kind=kind)  # type: ignore[arg-type]
        except ValidationError as err:
            raise InputError(f"Invalid filter: {err.errors()[0]['msg']}.") from err
        batch = read_queries(queries) if queries else [(None, query)]
        if not any(q.strip() for _, q in batch):
            raise InputError("Give a query or --queries FILE.jsonl.")
        with Services(load_settings(data_dir=data_dir)) as services:
            for qid, q in batch:
                hits = services.retriever.search(q, k=k, mode=mode, filters=filters)
                if as_json:
                    echo_json({"id": qid, "hits": [hit_json(h) for h in hits]} if queries
                              else {"query": q, "hits": [hit_json(h) for h in hits]})
                else:
                    typer.echo(_readable(q, hits) + "\n")
