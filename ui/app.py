"""The Gradio app: ``build_app(services) -> gr.Blocks``. Launching is separate (``ui.launch``).

``build_ui(backend, chats)`` is the same app over any ``ui.backend.Backend`` (tests pass a fake)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from ingest.readers import MAX_BYTES
from ui.backend import Backend
from ui.chat import ChatTab
from ui.chat_store import ChatStore
from ui.evals_tab import EvalsTab
from ui.library import LibraryTab
from ui.practice import PracticeTab
from ui.progress import ProgressTab

if TYPE_CHECKING:  # pragma: no cover
    from tutor.services import Services

TITLE = "Interview tutor"


def build_ui(backend: Backend, chats: ChatStore, *, concurrency: int = 2, max_bytes: int = MAX_BYTES) -> gr.Blocks:
    """All five tabs over ``backend``; LLM-bound events share one concurrency group of ``concurrency``;
    uploads up to ``max_bytes`` each (settings.max_document_mb, as for `tutor ingest`)."""
    chat, practice = ChatTab(backend, chats), PracticeTab(backend)
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"## {TITLE}\nCited answers from your notes, practice with grading, progress, evals.")
        user_line = gr.Markdown(elem_id="user-line")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat.build(concurrency)
            with gr.Tab("Practice", id="practice"):
                pickers = practice.build(concurrency)
            with gr.Tab("Progress", id="progress") as progress_tab:
                ProgressTab(backend).build(progress_tab)
            with gr.Tab("Evals", id="evals"):
                EvalsTab(backend).build(concurrency)
            with gr.Tab("Library", id="library") as library_tab:
                LibraryTab(backend, max_bytes).build(library_tab)
        chat.on_load(demo)
        demo.load(_whoami, None, user_line, api_name="whoami")
        demo.load(practice.topic_choices, None, list(pickers), api_visibility="private")
    demo.queue(default_concurrency_limit=concurrency, max_size=128)
    return demo


def _whoami(request: gr.Request) -> str:
    from ui.common import user_of

    return f"Signed in as **{user_of(request)}**"


def build_app(services: Services) -> gr.Blocks:
    """The app on real services: answering, grading, quiz, interview, attempts, evals, ingest."""
    from ui.services_backend import ServicesBackend

    settings = services.settings
    chats = ChatStore(settings.sqlite_path)
    return build_ui(ServicesBackend(services), chats, concurrency=settings.concurrency,
                    max_bytes=settings.max_document_bytes)
