"""A real headless Chromium (Debian chromium + Playwright) walks the app. Screenshots go to
screenshots/ (gitignored) for a person to look at.

* Escaping: a question, a source chunk and a grade holding <script> / onerror HTML are shown as text
  and never run (scripted backend: the rendering path is the UI's own).
* Main path with the real default models: ask a question and see a cited answer with source cards,
  then have the model explain it with one click;
  take a question, submit an answer, see the grade card and the follow-up, answer the follow-up."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.integration.test_ui_real import serve
from tests.paths import REPO

SHOTS = REPO / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"



@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def new_page(browser: object, url: str):
    page = browser.new_page(viewport={"width": 1300, "height": 1100})  # type: ignore[attr-defined]
    page.set_default_timeout(20_000)
    page.goto(url)
    page.wait_for_selector("#chat-input textarea")
    return page


def pick(page, label: str, value: str) -> None:
    """Choose ``value`` in the gr.Dropdown labelled ``label`` (type to filter, Enter to select)."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(value)
    page.keyboard.press("Enter")


def ask(page, question: str) -> None:
    page.fill("#chat-input textarea", question)
    page.click("#chat-send")


def open_citation(page, n: int) -> None:
    """Click the answer's [n]: its source card opens, is outlined and shows the quoted sentences marked."""
    page.evaluate(f"document.getElementById('src-{n}').open = false")
    page.click(f"#chatbot [data-testid='bot'] a[href$='#src-{n}']")
    page.wait_for_selector(f"#src-{n}.tutor-focus[open]")
    assert page.locator(f"#src-{n} mark.tutor-quote").count() >= 1


def test_html_in_questions_sources_and_grades_is_shown_not_run(browser, tmp_path):
    from tests.unit.test_ui_app import ScriptedBackend
    from tutor.core.settings import Settings
    from ui.app import build_ui
    from ui.chat_store import ChatStore
    from ui.launch import running

    backend = ScriptedBackend(tmp_path)
    with running(build_ui(backend, ChatStore(tmp_path / "t.sqlite3")), Settings(data_dir=tmp_path)) as url:
        page = new_page(browser, url)
        ask(page, f"What is RAG? {XSS}")
        page.wait_for_function("document.querySelector('#chat-status')?.innerText.includes('Done.')")
        bot = page.inner_text("#chatbot [data-testid='bot']")
        assert 'onerror="window.__pwned=1"' in bot  # the HTML is visible as text
        assert "<script>window.__pwned=1</script>" in page.inner_text("#chat-sources")
        open_citation(page, 1)
        assert page.inner_text("#src-1 mark.tutor-quote") == "Chunk for local."
        page.get_by_role("tab", name="Practice").click()
        page.click("#practice-next")
        page.wait_for_selector("#practice-question .tutor-qtext")
        page.fill("#practice-answer textarea", f"retrieval {XSS}")
        page.click("#practice-submit")
        page.wait_for_selector("#practice-grade .tutor-score")
        assert "<script>" in page.inner_text("#practice-grade")  # red flag text shown literally
        page.screenshot(path=str(SHOTS / "escaping.png"), full_page=True)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#chatbot img[src='x'], #practice-grade img, #chat-sources img").count() == 0


@pytest.fixture(scope="module")
def ui_url(ingested_services) -> Iterator[str]:
    """The app on the real models without login (user 'local')."""
    yield from serve(ingested_services)


@pytest.mark.slow
def test_main_path_with_real_models(browser, ui_url):
    page = new_page(browser, ui_url)
    ask(page, "Что такое LoRA?")
    page.wait_for_function("document.querySelector('#chat-status')?.innerText.includes('Done.')",
                           timeout=240_000)
    answer = page.inner_text("#chatbot [data-testid='bot']")
    sources = page.inner_text("#chat-sources")
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
    assert re.search(r"\[\d\]", answer), answer
    assert re.search(r"\[1\]\s+\S+\.txt", sources) and "LoRA" in sources
    open_citation(page, 1)  # the note the answer quotes, its sentences highlighted
    marked = page.locator("#src-1 mark.tutor-quote").first.inner_text()
    assert marked and " ".join(marked.split())[:30] in " ".join(answer.split()), (marked, answer)
    page.screenshot(path=str(SHOTS / "citation.png"), full_page=True)
    assert "Объяснение модели — по запросу" in answer  # the notes alone; the model explains on one click
    page.click("#chat-explain")
    page.wait_for_function("document.querySelectorAll(\"#chatbot [data-testid='bot']\").length === 2 && "
                           "document.querySelector('#chat-status')?.innerText.includes('Done.')", timeout=240_000)
    explained = page.locator("#chatbot [data-testid='bot']").nth(1).inner_text()
    assert explained.index("[1]") < explained.index("Объяснение") and "по запросу" not in explained, explained

    page.get_by_role("tab", name="Practice").click()
    pick(page, "Topic", "LoRA")
    pick(page, "Level", "basic")
    page.click("#practice-next")
    page.wait_for_selector("#practice-question .tutor-qtext")
    question = page.inner_text("#practice-question")
    assert "LoRA" in question
    page.fill("#practice-answer textarea", f"LoRA добавляет к весам низкоранговую матрицу: W' = W + BA. {XSS}")
    page.click("#practice-submit")
    page.wait_for_selector("#practice-grade .tutor-score", timeout=300_000)
    grade = page.inner_text("#practice-grade")
    assert re.search(r"Score: \d+(\.\d)? / 10", grade) and "Key points" in grade, grade
    page.wait_for_selector("#practice-followup p")
    template = page.inner_text("#practice-followup")
    assert "Follow-up:" in template, template  # shown with the grade, while the LLM writes the real one
    # the chained step replaces the template; Gradio's "processing" overlay is gone when it is done
    page.wait_for_function("() => document.querySelector('#practice-followup').innerText.trim()"
                           ".startsWith('Follow-up:')", timeout=300_000)
    follow_up = page.inner_text("#practice-followup")
    assert follow_up.startswith("Follow-up:") and len(follow_up) > 15
    page.screenshot(path=str(SHOTS / "practice-grade.png"), full_page=True)

    page.fill("#practice-fu-answer textarea", "Не уверен.")
    page.click("#practice-fu-submit")
    page.wait_for_selector("#practice-fu-grade .tutor-score", timeout=300_000)
    page.screenshot(path=str(SHOTS / "practice-follow-up.png"), full_page=True)
    assert page.evaluate("window.__pwned") is None
