"""Pure UI helpers: escaping, cards, upload checks, auth parsing, chat persistence."""

from __future__ import annotations

import pytest

from tutor.core.errors import ConfigError, InputError
from tutor.core.types import Citation
from ui.chat_store import ChatStore
from ui.launch import parse_auth
from ui.library import MAX_BYTES, check_upload, safe_name
from ui.render import grade_card, highlight, link_citations, md_safe, question_card, source_cards
from ui.views import GradeView, PointView, QuestionView

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_md_safe_escapes_html_outside_code_only():
    assert md_safe("a <b>x</b> `<i>`") == "a &lt;b&gt;x&lt;/b&gt; `<i>`"
    assert md_safe("```\n<div>\n```\n<p>") == "```\n<div>\n```\n&lt;p&gt;"
    assert "<script>" not in md_safe(EVIL) and "&lt;img" in md_safe(EVIL)


def test_md_safe_keeps_the_quote_marks_that_open_lines():
    assert md_safe("**Из заметок** [1]:\n> A -> B <b>\n>\n> > x") == \
        "**Из заметок** [1]:\n> A -&gt; B &lt;b&gt;\n>\n> > x"
    assert md_safe("> <script>alert(1)</script>") == "> &lt;script&gt;alert(1)&lt;/script&gt;"


def test_source_cards_show_exact_text_escaped():
    cards = source_cards([Citation(n=2, chunk_id="c", doc="a<b>.md", section="S & T", text=f"line1\n{EVIL}")])
    assert "[2]" in cards and "a&lt;b&gt;.md" in cards and "S &amp; T" in cards
    assert "line1<br>&lt;script&gt;alert(1)&lt;/script&gt;" in cards
    assert "<script>" not in cards and "<img" not in cards
    assert "No sources" in source_cards([])
    assert "id='src-2'" in cards and "<mark" not in cards


def test_source_cards_highlight_the_quoted_sentences_and_show_neighbouring_context():
    text = f"Intro. LoRA учит A и B <x>. {EVIL} Конец."
    cards = source_cards([Citation(n=1, chunk_id="a", doc="d", section="s", text=text,
                                   quotes=["LoRA учит A и B <x>.", "not in the text"]),
                          Citation(n=2, chunk_id="b", doc="d", section="s", text="t", origin="context")],
                         {1: ("Before <b>.", "")})
    first, second = cards.split("</details></details>")[0], cards.split("id='src-2'")[1]
    assert "Intro. <mark class='tutor-quote'>LoRA учит A и B &lt;x&gt;.</mark> &lt;script&gt;" in first
    assert "quoted in the answer" in first and "Before &lt;b&gt;." in first and "Neighbouring context" in first
    assert "related" in second and "<mark" not in second
    assert highlight("a b a", ["a", "b a"]) == "<mark class='tutor-quote'>a</mark> <mark class='tutor-quote'>b a</mark>"
    assert highlight("A:\nStandard  attention.", ["Standard attention."]) == "A:<br><mark class='tutor-quote'>Standard  attention.</mark>"


def test_citation_markers_become_links_to_their_cards_outside_code():
    assert link_citations("LoRA [1] и `x[2]`") == "LoRA [[1]](#src-1) и `x[2]`"


def test_question_and_grade_cards_escape_everything():
    q = QuestionView(id="x'y", topic=EVIL, question=EVIL)
    assert "<script>" not in question_card(q) and "x&#x27;y" in question_card(q)
    g = GradeView(question_id="q", question="Q", score=6.5, feedback=EVIL, model_answer=EVIL,
                  red_flags=[EVIL], factual_errors=[EVIL],
                  points=[PointView(point="p1", verdict="missed"),
                          PointView(point="p2", verdict="covered", evidence=EVIL)])
    card = grade_card(g)
    assert "<script>" not in card and "<img" not in card
    assert "6.5</b> / 10" in card
    assert card.index("p2") < card.index("p1")  # covered listed before missed
    assert grade_card(None) == ""


def test_upload_checks():
    check_upload("notes.MD", 10)
    with pytest.raises(InputError, match="not a supported file type"):
        check_upload("x.exe", 10)
    with pytest.raises(InputError, match=r"limit is 50 MB \(setting max_document_mb") as err:
        check_upload("big.pdf", MAX_BYTES + 1)
    assert "smaller files" in err.value.user_message()
    with pytest.raises(InputError, match="limit is 2 MB"):  # the setting the CLI uses, passed in
        check_upload("notes.md", 3_000_000, max_bytes=2_000_000)
    with pytest.raises(InputError, match="empty"):
        check_upload("e.txt", 0)
    assert safe_name("../../etc/My Notes (1).md") == "My_Notes_1.md"
    assert safe_name("..\\evil\\.ipynb") == "notes.ipynb"


def test_parse_auth():
    assert parse_auth("") == []
    assert parse_auth("ann:p1, bob:p:2") == [("ann", "p1"), ("bob", "p:2")]
    with pytest.raises(ConfigError, match="not 'user:password'"):
        parse_auth("ann")


def test_chat_store_is_per_user_and_survives_reopen(tmp_path):
    path = tmp_path / "t.sqlite3"
    store = ChatStore(path)
    cite = Citation(n=1, chunk_id="c", doc="d", section="s", text="t")
    store.append("ann", "user", "q1")
    store.append("ann", "assistant", "a1 [1]", [cite])
    store.append("bob", "user", "other")
    reopened = ChatStore(path)
    assert reopened.messages("ann") == [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1 [1]"}]
    assert reopened.last_citations("ann") == [cite]
    assert reopened.last_citations("bob") == []
    reopened.clear("ann")
    assert reopened.messages("ann") == [] and len(reopened.messages("bob")) == 1


def test_a_restyle_asks_the_last_typed_question_in_the_conversation_it_was_asked_in():
    from ui.chat import context_of_last_question, last_question

    history = [{"role": "user", "content": "Что такое LoRA?"}, {"role": "assistant", "content": "A1"},
               {"role": "user", "content": "а минусы?"}, {"role": "assistant", "content": "A2"},
               {"role": "user", "content": "(simpler) а минусы?"}, {"role": "assistant", "content": "A3"}]
    assert last_question(history) == "а минусы?"
    assert context_of_last_question(history) == history[:2]
    assert context_of_last_question([]) == [] and last_question([]) == ""
