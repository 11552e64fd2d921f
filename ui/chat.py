"""Chat tab: the notes' answer, cited, at once (the model's explanation streamed under it when
Settings.explain is 'always'); source cards with the exact chunk text and the quoted sentences
highlighted (an answer's [n] opens its card); "explain / more / simpler / in English" in one click; the conversation persisted per user
(restored on load, also after a restart).

The raw conversation lives in a per-session gr.State; the gr.Chatbot only shows escaped copies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from tutor.core.types import Citation
from ui.backend import Backend
from ui.chat_store import ChatStore
from ui.common import guarded, guarded_stream, user_of
from ui.render import link_citations, md_safe, source_cards, status_line

Messages = list[dict[str, str]]


def shown(messages: Messages) -> Messages:
    """Escaped copies for display: [{'role','content':'<b>'}] -> [{'role','content':'&lt;b&gt;'}]."""
    return [{"role": m["role"], "content": link_citations(md_safe(m["content"]))} for m in messages]


def rewritten_line(query: str) -> str:
    return f"**Searched for:** {md_safe(query)}" if query else ""


STYLE_ASK = {"explain": "(explain)", "more": "(explain more)", "simpler": "(simpler)", "english": "(in English)"}


def _last_typed(history: Messages) -> int | None:
    """Index of the last question the user typed (a restyle request is not one)."""
    for i in range(len(history or []) - 1, -1, -1):
        m = history[i]
        if m["role"] == "user" and not any(m["content"].startswith(v) for v in STYLE_ASK.values()):
            return i
    return None


def last_question(history: Messages) -> str:
    """The last question the user typed (a restyle request is not one)."""
    i = _last_typed(history)
    return history[i]["content"] if i is not None else ""


def context_of_last_question(history: Messages) -> Messages:
    """The conversation as it was when the last typed question was asked: a restyle asks it again in
    that context, so the notes are the same and the model explains them (with the answer itself as
    history, the question would read as a follow-up to its own answer)."""
    i = _last_typed(history)
    return list(history[:i]) if i is not None else []


class ChatTab:
    def __init__(self, backend: Backend, chats: ChatStore) -> None:
        self.backend = backend
        self.chats = chats

    def restore(self, request: gr.Request) -> tuple[Any, ...]:
        user = user_of(request)
        messages = self.chats.messages(user)
        return shown(messages), messages, source_cards(self.chats.last_citations(user)), ""

    def respond(self, question: str, history: Messages, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        yield from self._answer(user_of(request), (question or "").strip(), history, "")

    def restyle(self, style: str, history: Messages, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """The last question again, explained by the model (explain / more / simpler / in English)."""
        question = last_question(history)
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), status_line("Ask a question first.")
            return
        yield from self._answer(user_of(request), question, history, style, context_of_last_question(history))

    def _answer(self, user: str, question: str, history: Messages, style: str,
                asked_in: Messages | None = None) -> Iterator[tuple[Any, ...]]:
        """``asked_in``: the conversation the answer is asked in, when not the one shown (a restyle)."""
        if not question:
            gr.Warning("Type a question first.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), status_line("Type a question first.")
            return
        history = list(history or [])
        shown_q = f"{STYLE_ASK[style]} {question}" if style else question
        convo = history + [{"role": "user", "content": shown_q}]
        text, rewritten, cites = "", "", list[Citation]()
        yield shown(convo + [{"role": "assistant", "content": "…"}]), history, "", gr.skip(), "", "Searching…"
        status = "Explaining…"
        for ev in self.backend.ask(user, question, history if asked_in is None else asked_in, style):
            if ev.kind == "rewritten":
                rewritten = ev.text
            elif ev.kind == "sources":
                cites = ev.sources
            elif ev.kind == "notes":
                text = ev.text
            elif ev.kind == "delta":
                text += ev.text
            elif ev.kind == "done" and ev.answer is not None:
                text, cites = ev.answer.text, ev.answer.citations or cites
                status = "Done."
            shown_now = shown(convo + [{"role": "assistant", "content": text or "…"}])
            yield shown_now, history, "", source_cards(cites), rewritten_line(rewritten), status
        context = {c.n: self.backend.neighbours(c.chunk_id) for c in cites if c.origin == "notes" and c.chunk_id}
        final = convo + [{"role": "assistant", "content": text}]
        self.chats.append(user, "user", shown_q)
        self.chats.append(user, "assistant", text, cites)
        yield shown(final), final, "", source_cards(cites, context), rewritten_line(rewritten), "Done."

    def clear(self, request: gr.Request) -> tuple[Any, ...]:
        self.chats.clear(user_of(request))
        return [], [], source_cards([]), "", "Conversation cleared."

    def build(self, concurrency: int) -> gr.Chatbot:
        state = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Tutor", height=460, sanitize_html=True, allow_tags=False,
                                     elem_id="chatbot", feedback_options=None)
                rewritten = gr.Markdown(elem_id="chat-rewritten")
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask about your notes… (e.g. Что такое LoRA?)",
                                     show_label=False, scale=5, elem_id="chat-input")
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="chat-send")
                with gr.Row():
                    explain = gr.Button("Explain", size="sm", elem_id="chat-explain")
                    more = gr.Button("Explain more", size="sm", elem_id="chat-more")
                    simpler = gr.Button("Simpler", size="sm", elem_id="chat-simpler")
                    english = gr.Button("In English", size="sm", elem_id="chat-english")
                    clear = gr.Button("New conversation", size="sm")
                status = gr.Markdown(elem_id="chat-status")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(source_cards([]), elem_id="chat-sources")
        outs = [chatbot, state, box, sources, rewritten, status]
        respond = guarded_stream(len(outs))(self.respond)
        gr.on([send.click, box.submit], respond, [box, state], outs, api_name="ask",
              concurrency_limit=concurrency, concurrency_id="llm")
        restyle = guarded_stream(len(outs))(self.restyle)
        for button, style in ((explain, "explain"), (more, "more"), (simpler, "simpler"), (english, "english")):
            button.click(restyle, [gr.State(style), state], outs, api_name=f"ask_{style}",
                         concurrency_limit=concurrency, concurrency_id="llm")
        clear_outs = [chatbot, state, sources, rewritten, status]
        clear.click(guarded(5)(self.clear), None, clear_outs, api_name="chat_clear")
        chatbot.clear(guarded(5)(self.clear), None, clear_outs, api_visibility="private")
        self._load = (self.restore, [chatbot, state, sources, rewritten])
        return chatbot

    def on_load(self, demo: gr.Blocks) -> None:
        fn, outputs = self._load
        demo.load(fn, None, outputs, api_name="chat_restore")
