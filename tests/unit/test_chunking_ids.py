"""Chunk sizing rules and id stability."""

from __future__ import annotations

from ingest.chunking import MAX_CHARS, TABLE_MAX, split_span
from ingest.ids import bank_id
from ingest.parse import parse_text
from tests.paths import CORPUS
from tutor.text.words import normalise_text

QB = (CORPUS / "llm-engineering-interview-questions.txt").read_text(encoding="utf-8")


def _ids(text: str) -> dict[str, str]:
    doc = parse_text("qb.txt", text)
    return {c.chunk_id: c.text for c in doc.chunks}


def test_reparse_gives_identical_ids() -> None:
    a, b = parse_text("qb.txt", QB), parse_text("qb.txt", QB)
    assert [c.chunk_id for c in a.chunks] == [c.chunk_id for c in b.chunks]
    assert [i.id for i in a.items] == [i.id for i in b.items]


def test_edit_elsewhere_changes_only_the_edited_chunk() -> None:
    old_answer = "A: Атака через user input для изменения поведения модели."
    assert QB.count(old_answer) == 1
    edited = QB.replace(old_answer, "A: Атака через пользовательский ввод, меняющая поведение модели.")
    edited = "Моя заметка сверху документа.\n" + edited  # shifts every offset
    before, after = _ids(QB), _ids(edited)
    gone = set(before) - set(after)
    assert len(gone) == 1 and "Что такое prompt injection?" in before[gone.pop()]
    assert len(set(after) - set(before)) == 2  # the edited chunk and the new note
    items_before = {i.id for i in parse_text("qb.txt", QB).items}
    assert items_before == {i.id for i in parse_text("qb.txt", edited).items}


def test_ids_depend_on_doc_and_content() -> None:
    text = "Q: Что такое RAG?\nA: Поиск + генерация."
    assert _ids(text) != _ids(text.replace("генерация", "ответ"))
    a = parse_text("a.txt", text).chunks[0].chunk_id
    assert a != parse_text("b.txt", text).chunks[0].chunk_id
    assert bank_id("Что такое RAG?", "RAG Pipeline") == bank_id("что  такое RAG", "rag pipeline")


def test_duplicate_bodies_get_distinct_ids() -> None:
    text = "# A\n\nSame paragraph about LoRA.\n\n# B\n\nOther.\n\n# A\n\nSame paragraph about LoRA.\n"
    chunks = parse_text("dup.md", text, fmt="markdown").chunks
    assert len(chunks) == 3 and len({c.chunk_id for c in chunks}) == 3


def test_long_table_split_by_rows_with_header_repeated() -> None:
    rows = "\n".join(f"| model-{i} | {i * 7} GB | a fairly long comment about row {i} |" for i in range(60))
    text = f"## Memory\n\n| Model | Memory | Notes |\n|---|---|---|\n{rows}\n"
    doc = parse_text("t.md", text, fmt="markdown")
    tables = [c for c in doc.chunks if c.kind == "table"]
    assert len(tables) >= 3 and all(len(c.text) <= MAX_CHARS for c in tables)
    assert all("| Model | Memory | Notes |\n|---|---|---|" in c.text for c in tables)
    assert all(c.text.endswith(doc.text[c.start:c.end]) for c in tables)
    covered = "".join(doc.text[c.start:c.end] for c in tables)
    assert all(f"model-{i} " in covered for i in range(60))


def test_small_table_kept_whole() -> None:
    text = "## T\n\n| a | b |\n|---|---|\n" + "\n".join(f"| {i} | x |" for i in range(20)) + "\n"
    tables = [c for c in parse_text("t.md", text, fmt="markdown").chunks if c.kind == "table"]
    assert len(tables) == 1 and len(tables[0].text) <= TABLE_MAX


def test_long_answer_continues_with_question_in_header() -> None:
    answer = " ".join(f"Пункт {i}: KV cache растёт линейно с длиной контекста." for i in range(80))
    text = f"Long Context¶\nBasic¶\nQ: Почему KV cache дорогой?\nA: {answer}\nQ: Следующий?\nA: Да."
    doc = parse_text("kv.txt", text)
    first, *rest = [c for c in doc.chunks if c.question == "Почему KV cache дорогой?"]
    assert rest and first.text.startswith("Long Context & KV Cache · Basic\nQ: Почему KV cache дорогой?\nA: ")
    assert all(c.text.startswith("Long Context & KV Cache · Basic\nQ: Почему KV cache дорогой? (продолжение)\n")
               for c in rest)
    assert all(len(c.text) <= MAX_CHARS for c in doc.chunks)
    assert doc.items[0].source_chunk_ids == [first.chunk_id] + [c.chunk_id for c in rest]


def test_split_span_prefers_line_then_sentence_boundaries() -> None:
    text = "aaaa bbbb. cccc dddd.\neeee ffff. gggg"
    pieces = split_span(text, 0, len(text), 22)
    assert [text[s:e] for s, e in pieces] == ["aaaa bbbb. cccc dddd.", "eeee ffff. gggg"]
    words = "x" * 30 + " " + "y" * 30
    assert [words[s:e] for s, e in split_span(words, 0, len(words), 40)] == ["x" * 30, "y" * 30]


def test_normal_forms() -> None:
    assert normalise_text("Что  такое RAG?") == "что такое rag"
