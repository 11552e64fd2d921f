"""Structure recovered from the four corpus documents: counts, offsets, sizes, noise, pairs."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from ingest.chunking import MAX_CHARS
from ingest.parse import ParsedDocument, parse_document
from tests.paths import CORPUS

QB = "llm-engineering-interview-questions.txt"
GUIDE = "llm-interview-master-guide.txt"
NOTEBOOK = "llm-questions-notebook-export.txt"
XREF = "llm-topics-cross-reference.txt"
RENDERED = ("rubric", "interview")


@cache
def parsed(name: str) -> ParsedDocument:
    return parse_document(CORPUS / name)


def test_question_bank_doc_has_every_q_with_its_level() -> None:
    doc = parsed(QB)
    raw_q_lines = sum(1 for ln in doc.text.splitlines() if ln.startswith("Q:"))
    assert len(doc.items) == raw_q_lines == 164
    # Basic/Medium/Killer headings (42/45/34) plus five 'Q: Killer — …¶' headings; the rest are the
    # later 'Q: …¶' sections without a level.
    assert Counter(i.level for i in doc.items) == {"basic": 42, "medium": 45, "killer": 39, None: 38}
    item = next(i for i in doc.items if i.question.startswith("Should I bet on OpenAI"))
    assert item.level == "killer" and not item.question.startswith("Killer")


def test_question_headings_and_topics() -> None:
    doc = parsed(QB)
    by_q = {i.question: i for i in doc.items}
    assert by_q["В чём разница между BPE и WordPiece?"].topic == "Tokenization"
    assert by_q["Что такое RAG?"].topic == "RAG Pipeline"
    assert by_q["Per-tensor vs Per-channel Quantization?"].topic == "Inference & Serving"
    coe = by_q["Что такое Chain-of-Experts (CoE) и чем отличается от MoE?"]
    assert coe.level == "killer" and "Sequential Expert Communication" in coe.reference_answer


def test_top20_list_gives_twenty_questions_with_answer_bullets() -> None:
    items = [i for i in parsed(GUIDE).items if not i.weak_answer]
    assert len(items) == 20
    assert [i.question for i in items[:3]] == ["Explain self-attention mechanism", "Why RoPE over learned positions?",
                                               "Compare MQA, GQA, MHA"]
    assert items[4].question == "Explain LoRA"  # after 'effective_batch = … -' on the line before
    assert all(2 <= len(i.key_points) <= 3 for i in items)
    assert items[3].key_points[-1] == "effective_batch = batch_size × accumulation_steps"
    assert not any(p.endswith("?") for i in items for p in i.key_points)


def test_interview_sections_give_weak_and_strong_answers() -> None:
    for name in (GUIDE, XREF):
        interview = [i for i in parsed(name).items if i.weak_answer]
        assert len(interview) == 3
        for item in interview:
            assert item.strong_answer and item.weak_answer != item.strong_answer
            assert len(item.strong_answer) > 2 * len(item.weak_answer)
            assert item.reference_answer == item.strong_answer
    first = next(i for i in parsed(GUIDE).items if i.weak_answer)
    assert first.weak_answer == "Self-attention умножает query на key, потом на value"


def test_rubric_items_read_with_ast_and_paired_by_number() -> None:
    doc = parsed(NOTEBOOK)
    assert len(doc.items) == 15
    assert [c.kind for c in doc.chunks] == ["rubric"] * 19  # 15 RU entries + 4 EN entries in the export
    paired = [i for i in doc.items if i.question_alt]
    assert len(paired) == 4  # the export holds EN versions of items 1-4 only
    mqa = doc.items[0]
    assert mqa.question.startswith("MQA / GQA и KV-кэш: Зачем MQA/GQA")
    assert mqa.question_alt == ["MQA / GQA & the KV cache: Why MQA/GQA and how do they affect KV memory and speed?"]
    assert len(mqa.key_points) == 6 and len(mqa.red_flags) == 6
    assert all(i.key_points and i.red_flags and i.reference_answer for i in doc.items)
    assert doc.items[14].question.startswith("«Модель всё помнит»")


@pytest.mark.parametrize("name", [QB, GUIDE, NOTEBOOK, XREF])
def test_offsets_reproduce_chunk_bodies(name: str) -> None:
    doc = parsed(name)
    for c in doc.chunks:
        source = doc.text[c.start:c.end]
        assert 0 <= c.start < c.end <= len(doc.text)
        if c.kind in RENDERED:
            shown = next(ln for ln in c.text.splitlines() if re.match(r"(Вопрос|Question): ", ln))
            assert shown.split(": ")[-1][:30] in source  # the rendered question is the source's
        else:
            assert c.text.endswith(source), c.chunk_id
            assert len(c.text) - len(source) < 250  # only a short context header is added


@pytest.mark.parametrize("name", [QB, GUIDE, NOTEBOOK, XREF])
def test_chunks_are_source_card_sized_and_noise_free(name: str) -> None:
    doc = parsed(name)
    assert all(len(c.text) <= MAX_CHARS for c in doc.chunks)
    assert not any(re.search(r"минут чтения|style [A-Z] fill:|Ralph iteration", c.text) for c in doc.chunks)
    assert len({c.chunk_id for c in doc.chunks}) == len(doc.chunks)
    assert all(c.section == " > ".join(c.heading_path) and c.topic for c in doc.chunks)


def test_no_question_is_split_from_its_answer() -> None:
    doc = parsed(QB)
    chunks = {c.chunk_id: c for c in doc.chunks}
    for item in doc.items:
        first = chunks[item.source_chunk_ids[0]]
        assert item.question in first.text
        assert item.reference_answer[:40] in first.text.replace("\n", " ") or \
            item.reference_answer[:40] in first.text
        for cid in item.source_chunk_ids[1:]:  # continuations repeat the question in their header
            assert f"Q: {item.question} (продолжение)" in chunks[cid].text
        assert all(chunks[cid].question_id == item.id for cid in item.source_chunk_ids)
    assert any(len(i.source_chunk_ids) > 1 for i in doc.items)


def test_kinds_levels_and_languages() -> None:
    guide = parsed(GUIDE)
    kinds = Counter(c.kind for c in guide.chunks)
    assert kinds["table"] >= 10 and kinds["qa"] == 20 and kinds["interview"] == 3 and kinds["code"] == 2
    qb = parsed(QB)
    killer = [c for c in qb.chunks if c.level == "killer"]
    assert killer and all(c.kind == "qa" for c in killer)
    langs = {c.question: c.lang for c in qb.chunks if c.question}
    assert langs["В чём разница между BPE и WordPiece?"] == "ru"
    assert langs["Per-tensor vs Per-channel Quantization?"] == "en"


def test_topics_are_shared_across_documents() -> None:
    topics = {name: {c.topic for c in parsed(name).chunks} for name in (QB, GUIDE, NOTEBOOK, XREF)}
    for topic in ("Long Context & KV Cache", "Inference & Serving"):
        assert all(topic in t for t in topics.values()), topic
    assert "Alignment" in topics[QB] & topics[GUIDE] & topics[NOTEBOOK]
    assert "Tokenization" in topics[QB] & topics[NOTEBOOK]
    assert "LoRA" in topics[QB] & topics[GUIDE]
