"""QuestionBank: cross-document merging, JSON round trip, lookups, and the `tutor bank` commands."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.bank import build_bank, intent, same_question, terms
from ingest.parse import ParsedDocument, parse_paths, parse_text
from tests.paths import CORPUS
from tutor.core.bank import QuestionBank
from tutor.core.errors import DocumentError, NotFoundError
from tutor.core.types import BankItem


@cache
def corpus_docs() -> tuple[ParsedDocument, ...]:
    docs, errors = parse_paths([CORPUS])
    assert not errors
    return tuple(docs)


def corpus_bank() -> QuestionBank:
    return build_bank([d.model_copy(deep=True) for d in corpus_docs()])


def test_build_merges_the_same_question_across_documents() -> None:
    bank = corpus_bank()
    total = sum(len(d.items) for d in corpus_docs())
    assert total == 164 + 23 + 15 + 3
    assert len(bank.items) == total - 7
    kv = next(i for i in bank.items if i.question == "Что такое KV-cache и зачем он нужен?")
    assert kv.question_alt == ["What is KV cache?"]
    assert kv.docs == ["llm-engineering-interview-questions.txt", "llm-interview-master-guide.txt"]
    assert "Avoids recomputation in autoregressive generation" in kv.key_points
    assert len(kv.source_chunk_ids) == 2
    for alias, kept in bank.aliases.items():
        assert bank.get(alias).id == kept


def test_build_points_merged_chunks_at_the_kept_item() -> None:
    docs = [d.model_copy(deep=True) for d in corpus_docs()]
    bank = build_bank(docs)
    ids = {i.id for i in bank.items}
    asked = {c.question_id for d in docs for c in d.chunks if c.question_id}
    assert asked == ids


def test_no_false_merges_between_different_intents() -> None:
    bank = corpus_bank()
    merged = {i.question: i.question_alt for i in bank.items if len(i.docs) > 1}
    assert "Что такое prompt injection?" not in merged  # vs 'How to handle prompt injection?'
    spec = next(i for i in bank.items if i.question == "Speculative Decoding?")
    assert spec.question_alt == ["Explain speculative decoding"]  # not the 'Quantization -> …' interview one
    assert intent("GQA vs MQA vs MHA — в чём разница?") == intent("Compare MQA, GQA, MHA") == "compare"
    assert terms("Что такое KV-cache и зачем он нужен?") == {"kv", "cache"}


def test_same_question_score() -> None:
    a = BankItem(id="a", topic="t", question="Что такое LoRA?")
    assert same_question(a, BankItem(id="b", topic="t", question="Explain LoRA")) == 1.0
    assert same_question(a, BankItem(id="c", topic="t", question="Why LoRA over full fine-tuning?")) == 0.0


def test_same_id_in_two_documents_merges() -> None:
    a = parse_text("a.txt", "Q: Что такое RAG?\nA: Поиск + генерация.")
    b = parse_text("b.txt", "Q: Что такое RAG?\nA: Retrieval-augmented generation.")
    bank = build_bank([a, b])
    assert len(bank.items) == 1 and bank.items[0].docs == ["a.txt", "b.txt"]
    assert bank.items[0].reference_answer == "Поиск + генерация."


def test_save_load_roundtrip_is_atomic(tmp_path: Path) -> None:
    bank = corpus_bank()
    path = tmp_path / "data" / "bank.json"
    bank.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["bank.json"]  # no temp file left
    loaded = QuestionBank.load(path)
    assert loaded == bank
    assert json.loads(path.read_text(encoding="utf-8"))["items"][0]["id"] == bank.items[0].id


def test_load_missing_and_damaged(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        QuestionBank.load(tmp_path / "bank.json")
    assert "tutor ingest" in info.value.hint
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DocumentError):
        QuestionBank.load(bad)


def test_get_filter_topics() -> None:
    bank = corpus_bank()
    with pytest.raises(NotFoundError):
        bank.get("nope")
    killer = bank.filter(level="killer")
    assert len(killer) == 39 and all(i.level == "killer" for i in killer)
    tok = bank.filter(topic="tokenization")
    assert tok and all(i.topic == "Tokenization" for i in tok)
    assert len(bank.filter(doc="llm-questions-notebook-export.txt")) == 15
    assert "Tokenization" in bank.topics() and bank.topics() == sorted(bank.topics())
    assert sum(bank.stats()["level"].values()) == len(bank.items)


def test_cli_list_and_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from tutor.cli import bank as bank_cli

    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    corpus_bank().save(tmp_path / "bank.json")
    app = typer.Typer()
    bank_cli.register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["bank", "list", "--topic", "Tokenization", "--level", "basic"])
    assert out.exit_code == 0, out.output
    assert "В чём разница между BPE и WordPiece?" in out.output and "2 of " in out.output
    as_json = json.loads(runner.invoke(app, ["bank", "list", "--level", "killer", "--json"]).output)
    assert len(as_json) == 39
    item_id = as_json[0]["id"]
    shown = runner.invoke(app, ["bank", "show", item_id[:6]])
    assert shown.exit_code == 0 and as_json[0]["question"] in shown.output
    assert json.loads(runner.invoke(app, ["bank", "show", item_id, "--json"]).output)["id"] == item_id
    missing = runner.invoke(app, ["bank", "show", "zzzzzz"])
    assert missing.exit_code != 0 and isinstance(missing.exception, NotFoundError)
