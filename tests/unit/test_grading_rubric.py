"""Rubrics are data: built from the notes' structure, from reviewed entries (only while they match
the notes and quote them), or from the user's file; the bank-question index reaches an item by any
of its phrasings and reuses its cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fakes import FakeEmbedder
from tutor.core.types import BankItem, KeyPoint, Rubric
from tutor.grading.rubric import (
    REVIEWED_RUBRICS,
    ReviewedRubric,
    attach_rubrics,
    build_rubric,
    load_reviewed,
    load_user,
    ref_hash,
    save_user,
    statements,
    structure_rubric,
)
from tutor.retrieval.bank_index import QuestionIndex

REF = ("Что должен затронуть профи:\n"
       "**BPE** объединяет самые частые пары символов итеративно.\n"
       "Зачем это нужно?\n"
       "| Метод | Модель |\n|---|---|\n| BPE | GPT, LLaMA |\n"
       "```python\nmerges = learn(corpus)\n```\n"
       "WordPiece выбирает пары, максимизирующие likelihood данных.")


def test_statements_skip_labels_questions_code_and_table_rules() -> None:
    assert statements(REF) == ["BPE объединяет самые частые пары символов итеративно.",
                               "Метод: BPE; Модель: GPT, LLaMA",
                               "WordPiece выбирает пары, максимизирующие likelihood данных."]


def test_structure_rubric_prefers_the_pro_bullets_and_keeps_red_flags_apart() -> None:
    item = BankItem(id="a", topic="T", question="Q?", reference_answer=REF, lang="ru",
                    key_points=["MQA: один общий K/V для всех Q-голов.", "MQA: one shared K/V for all Q heads."],
                    red_flags=["Путает MQA с MHA.", "Confuses MQA with MHA."])
    r = structure_rubric(item)
    assert [p.text for p in r.key_points] == ["MQA: один общий K/V для всех Q-голов."]
    assert r.red_flags == ["Путает MQA с MHA."] and r.origin == "structure"
    plain = structure_rubric(item.model_copy(update={"key_points": [], "red_flags": []}))
    assert [p.origin for p in plain.key_points] == ["reference"] * 3
    weak_only = BankItem(id="b", topic="T", question="Q?", weak_answer="Self-attention умножает query на key.",
                         strong_answer="Каждый токен считает dot product со всеми другими токенами.")
    assert [p.text for p in structure_rubric(weak_only).key_points] == [
        "Каждый токен считает dot product со всеми другими токенами."]  # never the weak answer


ITEM = BankItem(id="bpe", topic="Tokenization", question="BPE vs WordPiece?",
                reference_answer="BPE объединяет самые частые пары. WordPiece максимизирует likelihood данных.")


def reviewed(points: list[KeyPoint], item: BankItem = ITEM, alternates: list[str] | None = None) -> dict:
    return {item.id: ReviewedRubric(id=item.id, ref_hash=ref_hash(item), key_points=points,
                                    alternates=alternates or [])}


def test_reviewed_rubric_needs_verbatim_support_and_the_same_notes() -> None:
    good = KeyPoint(text="BPE сливает самые частые пары", support="BPE объединяет самые частые пары")
    invented = KeyPoint(text="BPE придумали в Google", support="BPE придумали в Google")
    r = build_rubric(ITEM, reviewed([good, invented]), {})
    assert r.origin == "reviewed" and [p.text for p in r.key_points] == [good.text]
    edited = ITEM.model_copy(update={"reference_answer": "BPE — частотный алгоритм."})
    assert build_rubric(edited, reviewed([good]), {}).origin == "structure"  # written for other notes
    assert build_rubric(ITEM, reviewed([invented]), {}).origin == "structure"  # nothing survives


def test_user_rubric_wins_and_survives_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "rubrics.json"
    mine = Rubric(key_points=[KeyPoint(text="Моя формулировка пункта", origin="user")])
    save_user(path, {"bpe": mine})
    [item] = attach_rubrics([ITEM], reviewed([KeyPoint(text="x", support="BPE объединяет")],
                                             alternates=["bpe или вордпис"]), load_user(path))
    assert item.rubric is not None and item.rubric.origin == "user"
    assert [p.text for p in item.rubric.key_points] == ["Моя формулировка пункта"]
    assert item.alternates == ["bpe или вордпис"]


def test_load_reviewed_reads_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    entry = reviewed([KeyPoint(text="t", support="BPE объединяет")])["bpe"]
    path.write_text(entry.model_dump_json() + "\n\n", encoding="utf-8")
    assert load_reviewed(path)["bpe"].ref_hash == ref_hash(ITEM)
    assert load_reviewed(tmp_path / "missing.jsonl") == {}


def test_question_index_matches_any_phrasing_and_reuses_its_cache(tmp_path: Path) -> None:
    emb = FakeEmbedder(dim=1024)
    items = [ITEM.model_copy(update={"alternates": ["чем bpe отличается от wordpiece"]}),
             BankItem(id="kv", topic="KV", question="Что такое KV-cache?")]
    path = tmp_path / "q.npz"
    index = QuestionIndex.cached(items, emb.embed_query, path, "fake")
    assert path.is_file() and len(index.texts) == 3
    m = index.match(emb.embed_query("чем bpe отличается от wordpiece?"), min_score=0.8)
    assert m is not None and m.item.id == "bpe" and m.text == "чем bpe отличается от wordpiece"
    assert index.match(emb.embed_query("рецепт борща со сметаной"), min_score=0.8) is None
    calls = emb.calls
    again = QuestionIndex.cached(items, emb.embed_query, path, "fake")
    assert emb.calls == calls and np.allclose(again.vectors, index.vectors)  # loaded, not re-embedded
    QuestionIndex.cached(items, emb.embed_query, path, "other-model")
    assert emb.calls > calls  # another embedder: rebuilt


def test_every_checked_probe_was_read_right_over_its_own_support() -> None:
    """The judge's self-check (evals/probe_check.py) is data: a probe edited after its check, or one
    the judge read wrong over the notes' own sentence, fails here until it is read again and passes."""
    checks = [json.loads(line) for line in Path("evals/data/grading/probe_check.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    passed = {(c["id"], c["support"], json.dumps(c["probe"], sort_keys=True))
              for c in checks if c["verdict"] == "supports"}
    checked = {c["id"] for c in checks}
    probes = [(r.id, p.support, json.dumps(p.probe.model_dump(), sort_keys=True))
              for r in load_reviewed(REVIEWED_RUBRICS).values() if r.id in checked for p in r.key_points if p.probe]
    assert len(checked) >= 64 and len(probes) >= 200
    assert [p for p in probes if p not in passed] == []
