"""`tutor ingest` / `tutor retrieve` end to end through typer, FakeEmbedder patched in, embedded Qdrant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli.main import app

DOC = ("# KV Cache\n\n## Basic\n\nQ: What is the KV cache?\nA: It stores attention keys and values.\n\n"
       "# LoRA\n\n## Basic\n\nQ: Что такое LoRA?\nA: Low-Rank Adaptation, W' = W + BA.\n")


@pytest.fixture
def env(cli_notes) -> Path:
    return cli_notes(DOC)


def test_ingest_then_noop_if_needed(env: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "1 added" in first.output
    quiet = runner.invoke(app, ["ingest", "--if-needed"])
    assert quiet.exit_code == 0 and quiet.output.strip() == ""
    as_json = json.loads(runner.invoke(app, ["ingest", "--json"]).output)
    assert as_json["docs_unchanged"] == ["notes.md"] and as_json["chunks_upserted"] == 0


def test_retrieve_batch_json_lines(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--no-progress"]).exit_code == 0
    queries = env / "q.jsonl"
    queries.write_text('{"id": "a", "q": "KV cache keys"}\n\n{"id": 7, "q": "LoRA BA"}\n', encoding="utf-8")
    out = runner.invoke(app, ["retrieve", "--queries", str(queries), "--k", "1", "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7]
    hit = rows[0]["hits"][0]
    assert {"chunk_id", "doc", "section", "text", "score"} <= set(hit) and hit["doc"] == "notes.md"
    assert "keys and values" in hit["text"] and "W' = W + BA" in rows[1]["hits"][0]["text"]


def test_retrieve_readable_with_filter_and_bad_input(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--no-progress"]).exit_code == 0
    out = runner.invoke(app, ["retrieve", "LoRA", "--topic", "LoRA", "--mode", "sparse"])
    assert out.exit_code == 0 and "[1] score" in out.output and "W' = W + BA" in out.output
    bad = runner.invoke(app, ["retrieve", "x", "--mode", "fuzzy"])
    assert bad.exit_code != 0 and "Unknown mode 'fuzzy'" in str(bad.exception)
