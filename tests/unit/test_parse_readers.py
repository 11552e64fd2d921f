"""User notes in every supported format ingest; a broken file is a DocumentError and nothing else is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.parse import parse_document, parse_paths
from ingest.readers import read_source
from tests.paths import DATA
from tutor.core.errors import DocumentError

MD = """# My LLM notes

Intro paragraph about the notes.

## Tokenization

### Basic

Q: What is BPE?
A: Byte pair encoding merges the most frequent symbol pairs.

Q: What is a vocabulary?
A: The set of tokens a model knows.

## Serving

```python
def serve():
    return "vllm"
```

| Engine | Use |
|---|---|
| vLLM | throughput |
"""


def _write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_headings_questions_code_and_tables(tmp_path: Path) -> None:
    doc = parse_document(_write(tmp_path, "notes.md", MD))
    assert [i.question for i in doc.items] == ["What is BPE?", "What is a vocabulary?"]
    bpe = doc.items[0]
    assert bpe.level == "basic" and bpe.topic == "Tokenization" and bpe.lang == "en"
    assert bpe.reference_answer == "Byte pair encoding merges the most frequent symbol pairs."
    kinds = {c.kind: c for c in doc.chunks}
    assert set(kinds) == {"section", "qa", "code", "table"}
    assert kinds["code"].heading_path == ["Serving"] and "def serve" in kinds["code"].text
    assert kinds["table"].text.endswith("| vLLM | throughput |")
    for c in doc.chunks:
        assert c.text.endswith(doc.text[c.start:c.end])


def test_plain_text_is_split_into_overlapping_sections(tmp_path: Path) -> None:
    sentences = [f"Sentence number {i} explains one more detail about retrieval quality." for i in range(80)]
    doc = parse_document(_write(tmp_path, "plain.txt", " ".join(sentences)))
    assert len(doc.chunks) >= 4 and all(c.kind == "section" for c in doc.chunks)
    assert all(len(c.text) <= 1200 for c in doc.chunks)
    spans = sorted((c.start, c.end) for c in doc.chunks)
    assert spans[0][0] == 0 and spans[-1][1] == len(doc.text)
    assert all(b[0] <= a[1] for a, b in zip(spans, spans[1:], strict=False))  # no gap
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))  # some overlap
    assert all(c.text.endswith(doc.text[c.start:c.end]) for c in doc.chunks)


def test_ipynb_markdown_and_code_cells(tmp_path: Path) -> None:
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Квантизация\n", "\n", "Q: Зачем квантизация?\n",
                                             "A: Уменьшает память в 2-8 раз.\n"]},
        {"cell_type": "code", "source": "x = quantize(model)\nprint(x)", "outputs": []},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    doc = parse_document(_write(tmp_path, "nb.ipynb", json.dumps(nb)))
    assert [i.question for i in doc.items] == ["Зачем квантизация?"]
    assert doc.items[0].lang == "ru" and doc.items[0].topic == "Quantization"
    assert "x = quantize(model)" in doc.text and "```python" in doc.text


def test_pdf_made_with_matplotlib(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path / "notes.pdf"
    with PdfPages(path) as pdf:
        for text in ("Speculative decoding uses a draft model.", "The target model verifies tokens."):
            fig = plt.figure()
            fig.text(0.1, 0.5, text)
            pdf.savefig(fig)
            plt.close(fig)
    doc = parse_document(path)
    assert "draft model" in doc.text and "verifies tokens" in doc.text
    assert doc.chunks and doc.chunks[0].topic == "Speculative Decoding"


def test_encrypted_pdf_says_so(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    from evals.library import write_layout

    plain = write_layout(tmp_path, "pdf", 5)
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    writer.write(str(locked))
    with pytest.raises(DocumentError, match="encrypted PDF") as info:
        read_source(locked)
    assert "Remove the password" in info.value.user_message()


@pytest.mark.parametrize(("name", "content", "phrase"), [
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    ("empty.md", "   \n", "is empty"),
    ("blob.txt", b"\x00\x01\x02binary", "binary"),
    ("bad.ipynb", "{not json", "not a valid Jupyter notebook"),
    ("slides.pptx", b"PK\x03\x04", "unsupported file type"),
    ("broken.docx", b"PK\x03\x04 not a zip", "not a readable DOCX file"),
    ("broken.epub", b"this is no ebook", "not a readable EPUB file"),
])
def test_unreadable_files_raise_document_error(tmp_path: Path, name: str, content: str | bytes,
                                               phrase: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(DocumentError) as info:
        read_source(path)
    assert phrase in str(info.value) and info.value.path == str(path)


def test_parse_paths_collects_errors_and_keeps_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "good.md", MD)
    _write(tmp_path, "broken.pdf", b"%PDF-garbage")
    sub = tmp_path / "sub"
    sub.mkdir()
    _write(sub, "more.txt", "Q: What is RAG?\nA: Retrieval-augmented generation.")
    _write(tmp_path, ".hidden.md", "# hidden\ntext")
    _write(tmp_path, "image.png", b"\x89PNG")
    _write(sub, "notes.pptx", b"PK\x03\x04")
    _write(sub, "book.pptx", b"PK\x03\x04")
    docs, errors = parse_paths([tmp_path, tmp_path / "missing.md", tmp_path / "good.md"])
    assert sorted(d.doc for d in docs) == ["good.md", "more.txt"]
    assert sorted(Path(e.path).name for e in errors if e.path) == ["broken.pdf", "missing.md"]
    assert all(str(e) for e in errors)
    skipped = sorted(str(e) for e in errors if not e.path)  # one line per unsupported type, never silent
    assert skipped == ["1 .png file not ingested: unsupported type (image.png).",
                       "2 .pptx files not ingested: unsupported type (book.pptx, notes.pptx)."]


def test_one_size_limit_named_by_its_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.md", "# Big\n\n" + "KV cache keeps keys and values. " * 200)
    with pytest.raises(DocumentError, match=r"big.md is 0.0 MB; the limit is 0.001 MB \(setting max_document_mb"):
        parse_document(path, max_bytes=1000)
    docs, errors = parse_paths([tmp_path], max_bytes=1000)
    assert not docs and "TUTOR_MAX_DOCUMENT_MB" in str(errors[0])
    assert parse_document(path).chunks  # the default limit (50 MB) reads it


def test_text_normalisation_and_hash(tmp_path: Path) -> None:
    raw = "Заголовок¶\r\nQ: Что такое RAG?\r\nA: Поиск\u00a0+ генерация.\r\n".encode()
    src = read_source(_write(tmp_path, "crlf.txt", raw))
    assert "\r" not in src.text and "\u00a0" not in src.text
    import hashlib

    assert src.sha256 == hashlib.sha256(raw).hexdigest()
    cp = read_source(_write(tmp_path, "cp.txt", "Вопрос: Что такое LoRA?".encode("cp1251")))
    assert cp.text == "Вопрос: Что такое LoRA?"


NOTEBOOK_EXPORT = '''##### Rubric

In [1]:
ru_items = [
    ("1) LoRA", [("Вопрос", "Что такое LoRA?"), ("Что должен затронуть профи", "• BA\\n• ранг r"),
                 ("Развернутый ответ", "Низкоранговая добавка к весам."), ("Red flags", "• Путает с QLoRA")]),
    ("2) Broken", [("Вопрос", undefined_name)]),
    ("3) DPO", [("Вопрос", "Зачем DPO?"), ("Red flags", "• Считает DPO = RLHF")]),
]
en_map = [("1) LoRA", "What is LoRA?", "• low-rank BA", "A low-rank update.", "• confuses with QLoRA")]

In [ ]:
'''


def test_notebook_export_rubric_skips_a_broken_element(tmp_path: Path) -> None:
    doc = parse_document(_write(tmp_path, "rubric.txt", NOTEBOOK_EXPORT))
    assert [i.question for i in doc.items] == ["LoRA: Что такое LoRA?", "DPO: Зачем DPO?"]
    lora = doc.items[0]
    assert lora.question_alt == ["LoRA: What is LoRA?"]
    assert lora.key_points == ["BA", "ранг r", "low-rank BA"]
    assert lora.red_flags == ["Путает с QLoRA", "confuses with QLoRA"]
    assert len(lora.source_chunk_ids) == 2 and {c.kind for c in doc.chunks} == {"rubric"}
    assert "undefined_name" not in " ".join(c.text for c in doc.chunks)


def test_cell_markers_without_python_fall_back_to_text(tmp_path: Path) -> None:
    text = "Chat log\n\nIn [1]:\nhello there, this is not python (\n\nQ: What is RAG?\nA: Retrieval + generation.\n"
    doc = parse_document(_write(tmp_path, "log.txt", text))
    assert [i.question for i in doc.items] == ["What is RAG?"]


FORMATS = DATA / "formats"  # written by tests/data/formats/make.py


@pytest.mark.parametrize("name", ["notes.docx", "notes.epub", "notes.html"])
def test_docx_epub_html_keep_the_question_and_its_answer(name: str) -> None:
    """The same short notes in three formats read through llama-index's readers (.docx, .epub) and
    html2text (.html): the Q/A pair becomes a bank item with its answer, under the right topic."""
    doc = parse_document(FORMATS / name)
    assert [i.question for i in doc.items] == ["Зачем нужна квантизация?"]
    item = doc.items[0]
    assert item.topic == "Quantization" and "INT8 хранит каждый вес в 8 битах" in " ".join(item.reference_answer.split())
    assert "GPTQ и AWQ" in doc.text
    if name != "notes.docx":  # Word headings reach docx2txt as plain lines; HTML and EPUB keep them
        assert item.level == "basic" and "# Квантизация" in doc.text


def test_obsidian_vault_notes_keep_structure_and_wiki_links_as_words(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A folder with .obsidian/ is walked by llama-index's ObsidianReader: each note keeps its Q/A
    structure, its wiki-links read as words and it says which notes link to it."""
    import shutil

    vault = tmp_path / "vault"
    shutil.copytree(FORMATS / "vault", vault)
    outside = tmp_path / "outside.md"
    outside.write_text("# Secret\n\nNot part of the vault.\n", encoding="utf-8")
    (vault / "linked.md").symlink_to(outside)  # a link out of the vault is refused by the reader
    (vault / "deck.pptx").write_bytes(b"x")
    docs, errors = parse_paths([vault])
    assert capsys.readouterr().out == ""  # the reader's skip warning goes to stderr (`ingest --json` stays JSON)
    by_name = {d.doc: d for d in docs}
    assert sorted(by_name) == ["KV cache.md", "Квантизация.md"]
    quant = by_name["Квантизация.md"]
    assert [i.question for i in quant.items] == ["Зачем нужна квантизация?"]
    assert quant.items[0].level == "basic" and quant.items[0].topic == "Quantization"
    assert "в заметке про KV-cache (KV cache)." in quant.text and "[[" not in quant.text and "png" not in quant.text
    assert quant.text.endswith("Linked from: KV cache.")
    kv = by_name["KV cache.md"]
    assert "Квантизация › Basic KV-cache до INT8" in kv.text and kv.text.endswith("Linked from: Квантизация.")
    assert [str(e) for e in errors] and ".pptx" in str(errors[0])
    # one note named on its own is still a vault note
    alone = parse_document(vault / "Inference" / "KV cache.md", backlinks=["Квантизация"])
    assert alone.text == kv.text
