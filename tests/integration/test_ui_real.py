"""Every tab's function driven through gradio_client against the app launched on a free 127.0.0.1
port over the real default models (the session's ingested store). Two logins check that one user's
conversation and attempts never show up for the other."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

USERS = {"ann": "pw-ann", "bob": "pw-bob"}


def serve(services, auth: str = "") -> Iterator[str]:
    from ui.app import build_app
    from ui.launch import running

    settings = services.settings.model_copy(update={"auth": auth})
    with running(build_app(services), settings) as url:
        yield url


@pytest.fixture(scope="module")
def auth_url(ingested_services) -> Iterator[str]:
    yield from serve(ingested_services, ",".join(f"{u}:{p}" for u, p in USERS.items()))


def client(url: str, user: str):
    from gradio_client import Client

    return Client(url, auth=(user, USERS[user]), verbose=False)


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def test_chat_cited_answer_then_rewritten_follow_up_kept_per_user(auth_url):
    ann = client(auth_url, "ann")
    ann.predict(api_name="/chat_clear")
    shown, _, sources, _, status = ann.predict("Что такое LoRA?", api_name="/ask")
    answer = text_of(shown[-1])
    assert status == "Done.", status
    assert re.search(r"\[\d\]", answer) and "tutor-card" in sources and "LoRA" in sources
    assert re.search(r"\.txt — <i>", sources)  # doc and section on every card
    assert "<mark class='tutor-quote'>" in sources and "Neighbouring context" in sources
    assert "Объяснение модели — по запросу" in answer and "**Объяснение**" not in answer  # the notes alone
    shown, _, _, _, status = ann.predict(api_name="/ask_explain")  # one click: the model explains them
    explained = text_of(shown[-1])
    assert status == "Done." and text_of(shown[-2]).startswith("(explain) Что такое LoRA?"), status
    assert explained.index("[[1]](#src-1)") < explained.index("**Объяснение**")  # notes (cited) first, then the model
    shown, _, _, rewritten, status = ann.predict("а какие у него минусы?", api_name="/ask")
    assert isinstance(rewritten, str), status  # a gr.skip() update means the handler reported an error
    assert rewritten.startswith("**Searched for:**") and "LoRA" in rewritten, rewritten
    assert len(shown) == 6
    bob = client(auth_url, "bob")
    assert "LoRA" not in str(bob.predict(api_name="/chat_restore")[0])
    assert len(client(auth_url, "ann").predict(api_name="/chat_restore")[0]) == 6  # a new session restores


def test_practice_grade_follow_up_progress_and_csv(auth_url):
    bob = client(auth_url, "bob")
    before = len(bob.predict(api_name="/progress")[2]["data"])
    card, *_ = bob.predict("LoRA", "basic", api_name="/next_question")
    assert "Что такое LoRA?" in card
    g_card, fu_line, _, _, status = bob.predict("LoRA добавляет к весам низкоранговую матрицу: W' = W + BA.",
                                                api_name="/grade")
    assert isinstance(g_card, str) and re.search(r"Score: <b>\d+\.\d</b> / 10", g_card), status
    assert "Key points" in g_card and "tutor-badge-" in g_card
    assert fu_line.startswith("**Follow-up:**"), fu_line
    # the grade showed with a template follow-up; the chained step asks the LLM for the real one
    refined, _ = bob.predict(api_name="/refine_follow_up")
    assert isinstance(refined, str) and refined.startswith("**Follow-up:**"), refined
    fu_card, _, _, fu_status = bob.predict("Тоже не знаю.", api_name="/follow_up")
    assert "Score:" in fu_card, fu_status
    _, table, history, status = bob.predict(api_name="/progress")
    assert len(history["data"]) == before + 2 and [r[4] for r in history["data"][:2]] == ["graded"] * 2
    assert table["data"] and status.startswith(f"{before + 2} attempts")
    path, _ = bob.predict(api_name="/export_csv")
    with open(path, encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == before + 2
    ann_history = client(auth_url, "ann").predict(api_name="/progress")[2]
    assert all(r[2] not in {row[2] for row in history["data"]} for r in ann_history["data"])


def test_mock_interview_one_question_to_report(auth_url):
    ann = client(auth_url, "ann")
    card, _, _, _, status = ann.predict([], 1, api_name="/interview_start")
    assert "tutor-question" in card and status.startswith("Question 1 (1 main")
    card, _, last, report, status = ann.predict("Не знаю.", api_name="/interview_answer")
    assert "Score:" in last and status.startswith("Interview finished"), status
    assert report.strip(), report


def test_evals_retrieval_suite_and_reports(auth_url):
    ann = client(auth_url, "ann")
    metrics, plots, reports, status = ann.predict("retrieval", 3, api_name="/run_eval")
    names = [r[0] for r in metrics["data"]]
    assert any("hit@" in n for n in names), names
    assert reports["data"] and "done" in status
    listed = ann.predict(api_name="/list_reports")
    assert listed[2]["data"][0][0] == reports["data"][0][0]


def test_library_lists_documents_and_upload_errors_are_readable(auth_url, tmp_path: Path):
    from gradio_client import handle_file

    ann = client(auth_url, "ann")
    table, status = ann.predict(api_name="/documents")
    docs = {r[0]: (r[1], r[2]) for r in table["data"]}
    assert "llm-engineering-interview-questions.txt" in docs
    assert all(chunks > 0 for chunks, _ in docs.values()) and sum(q for _, q in docs.values()) > 0
    empty = tmp_path / "empty.md"
    empty.write_text("")
    out = ann.predict([handle_file(str(empty))], api_name="/upload")
    assert out[-1].startswith("**Error:**") and "empty" in out[-1]


def test_library_upload_ingests_and_reingest_removes(auth_url, ingested_services, tmp_path: Path):
    from gradio_client import handle_file

    note = tmp_path / "UI test note.md"
    note.write_text("# Zorblax protocol\n\nThe zorblax protocol <script>alert(1)</script> "
                    "is a made-up term used only by the UI test.\n", encoding="utf-8")
    ann = client(auth_url, "ann")
    table, status = ann.predict([handle_file(str(note))], api_name="/upload")
    assert "UI_test_note.md" in {r[0] for r in table["data"]}, status
    assert "1 added" in status
    uploaded = ingested_services.settings.data_dir / "uploads" / "UI_test_note.md"
    uploaded.unlink()
    table, status = ann.predict(api_name="/reingest")
    assert "UI_test_note.md" not in {r[0] for r in table["data"]} and "1 removed" in status, status


def test_a_zipped_obsidian_vault_uploads_and_its_notes_are_searchable(auth_url, ingested_services, tmp_path: Path):
    import shutil
    import zipfile

    from gradio_client import handle_file

    archive = tmp_path / "Test Vault.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Test Vault/.obsidian/app.json", "{}")
        z.writestr("Test Vault/Quuxlet.md", "# Quuxlet sampling\n\nQuuxlet sampling is a made-up decoding trick "
                                            "of the vault test; it pairs with [[Frobnic cache]].\n")
        z.writestr("Test Vault/Frobnic cache.md", "# Frobnic cache\n\nThe frobnic cache is another made-up "
                                                  "term of the vault test.\n")
    ann = client(auth_url, "ann")
    table, status = ann.predict([handle_file(str(archive))], api_name="/upload")
    assert {"Quuxlet.md", "Frobnic cache.md"} <= {r[0] for r in table["data"]}, status
    hits = ingested_services.retriever.search("quuxlet sampling decoding trick", k=3)
    assert hits[0].chunk.doc == "Quuxlet.md"
    shutil.rmtree(ingested_services.settings.data_dir / "uploads" / "Test_Vault")
    table, status = ann.predict(api_name="/reingest")
    assert "Quuxlet.md" not in {r[0] for r in table["data"]}, status
