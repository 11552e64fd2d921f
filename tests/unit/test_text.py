"""The one text layer (tutor.text): language detection, words, similarity."""

from __future__ import annotations

import numpy as np
import pytest

from ingest import notebook
from ingest.parse import parse_document
from tests.paths import CORPUS
from tutor.text.language import detect_lang
from tutor.text.markdown import is_bullet, is_row, is_rule, quote, unbullet, unquote
from tutor.text.sentences import sentences
from tutor.text.similarity import cosine, cosines, unit_rows
from tutor.text.words import normalise_text, stem, terms, words


@pytest.mark.parametrize(("text", "lang"), [
    ("Что такое KV cache?", "ru"), ("What is GQA?", "en"), ("Объясни RLHF, PPO, DPO", "ru"), ("", "ru"),
    ("How does LoRA reduce memory?", "en"), ("а почему?", "ru"), ("What is KV cache? (кэш)", "en"),
    ("Спроектируйте hallucination detection pipeline для production RAG", "ru"),
    ("Что такое HQE (Hypothetical Question Embedding)?", "ru"), ("1234 — 56", "ru")])
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_a_long_russian_text_quoting_much_code_stays_russian() -> None:
    text = "Пример конфигурации для сервера, который держит кэш: " + "max_num_seqs=256 " * 40
    assert detect_lang(text) == "ru"


def test_every_rubric_entry_is_detected_in_its_files_language() -> None:
    """The notebook export names each cell's language (ru_/en_ variables): ground truth the detector
    never saw. Question + expanded answer of every entry must come out in that language."""
    entries = notebook.rubric_entries((CORPUS / "llm-questions-notebook-export.txt").read_text(encoding="utf-8"))
    assert {e.lang for e in entries} == {"ru", "en"}
    assert [e.number for e in entries if detect_lang(e.question + " " + e.answer) != e.lang] == []


def test_every_notebook_chunk_is_stored_in_its_entrys_language() -> None:
    """Ingest stores a chunk's language with the same detector; on the notebook export, whose cells
    name their language, every chunk agrees with its entry's."""
    path = CORPUS / "llm-questions-notebook-export.txt"
    entries = notebook.rubric_entries(path.read_text(encoding="utf-8"))
    chunks = parse_document(path).chunks
    assert len(chunks) == len(entries)
    for c in chunks:
        owner = [e for e in entries if e.question in c.text]
        assert owner and {e.lang for e in owner} == {c.lang}, c.text[:80]


def test_terms_stem_by_script_and_drop_stopwords() -> None:
    assert terms("KV-cache в LLaMA и int8 квантизация") == ["kv-cache", "kv", "cach", "llama", "int8", "квантизац"]
    assert terms("Что такое the cache?") == ["cach"]
    assert stem("квантизация") == stem("квантизации") == "квантизац"


def test_normalize_and_words() -> None:
    assert normalise_text("Ёлка,  KV-cache!") == "елка kv cache"
    assert normalise_text("Что  такое RAG?") == "что такое rag"
    assert words("KV-cache, 2.5x! (да)") == ["kv", "cache", "2", "5x", "да"]
    assert words(" ?! - ") == []


def test_cosine_of_vectors_and_of_rows() -> None:
    assert cosine([1.0, 0.0], [1.0, 1.0]) == pytest.approx(0.7071, abs=1e-4)
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0
    with pytest.raises(ValueError):
        cosine([1.0], [1.0, 2.0])
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 8)), rng.normal(size=(3, 8))
    m = cosines(a, b)
    assert m.shape == (5, 3)
    assert all(m[i, j] == pytest.approx(cosine(a[i].tolist(), b[j].tolist()), abs=1e-5)
               for i in range(5) for j in range(3))
    assert cosines(a, b[0]).shape == (5,)
    assert cosines([[0.0, 0.0]], [1.0, 0.0]).tolist() == [0.0]
    u = unit_rows(a)
    assert np.allclose(np.linalg.norm(u, axis=1), 1.0) and np.allclose(u @ unit_rows(b[0])[0], cosines(a, b[0]))
    assert unit_rows([[0.0, 0.0]]).tolist() == [[0.0, 0.0]]


def test_sentences_keep_list_numbers_with_their_items() -> None:
    assert sentences("Algorithm: 1. Draft proposes. 2. Target verifies. Done") == [
        "Algorithm:", "1. Draft proposes.", "2. Target verifies.", "Done"]
    assert sentences("It has 2. Then more") == ["It has 2.", "Then more"]
    assert sentences("A. B\nC") == ["A.", "B", "C"]


def test_sentences_split_lower_case_typing_but_not_after_abbreviations() -> None:
    assert sentences("ну hybrid. потом RRF, т.е. слияние (см. выше). e.g. this, vs. that") == [
        "ну hybrid.", "потом RRF, т.е. слияние (см. выше).", "e.g. this, vs. that"]
    assert sentences("2.5x faster. Then 10 GB") == ["2.5x faster.", "Then 10 GB"]
    assert sentences("A; B. C", semicolons=True) == ["A;", "B.", "C"]
    assert sentences("A; B. C") == ["A; B.", "C"]
    assert sentences("  \n ") == []


def test_splitting_then_joining_loses_no_text_of_any_note() -> None:
    """Every chunk of the corpus and every bank answer: the sentences, joined, are the text
    (whitespace aside), and each sentence is a verbatim piece of it."""
    texts = [c.text for p in sorted(CORPUS.glob("*.txt")) for c in parse_document(p).chunks]
    assert len(texts) > 200
    for text in texts:
        for semicolons in (False, True):
            parts = sentences(text, semicolons=semicolons)
            assert "".join("".join(parts).split()) == "".join(text.split())
            assert all(p in text or p.split(" ", 1)[-1] in text for p in parts)


def test_table_lines_are_read_one_way() -> None:
    assert is_rule("|---|:--|") and is_rule("  --- | ---") and not is_rule("| x | 1 |")
    assert is_row("| x | 1 |") and not is_row("W = m · V/||V||") and not is_row("| x")
    assert is_bullet("- a") and is_bullet("• a") and is_bullet("2) a") and not is_bullet("-a") and not is_bullet("a - b")
    assert unbullet("  - a b") == "a b" and unbullet("3. x") == "x" and unbullet("plain") == "plain"


def test_quote_and_unquote_are_inverse_on_the_notes_block():
    assert quote("A [1]\n\nB") == "> A [1]\n>\n> B"
    assert unquote("**Title**\n> A [1]\n>\n> B") == "**Title**\nA [1]\n\nB"
    assert unquote(quote("x\ny")) == "x\ny"
