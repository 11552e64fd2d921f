"""Practice tab: pick a question (topic / level, or "what should I review?"), answer it, see the
grade card, answer the drill-down follow-up in the same context; and the mock interview."""

from __future__ import annotations

from typing import Any

import gradio as gr

from tutor.core.errors import InputError
from ui.backend import LEVELS, Backend
from ui.common import guarded, user_of
from ui.render import grade_card, interview_status, md_safe, question_card
from ui.views import GradeView, InterviewView, QuestionView

ANY = "Any"


def _opt(value: str | None) -> str | None:
    return None if not value or value == ANY else value


def follow_up_line(g: GradeView | None) -> str:
    return f"**Follow-up:** {md_safe(g.follow_up)}" if g and g.follow_up else ""


class PracticeTab:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    # --- single questions ----------------------------------------------------------------------
    def _fresh(self, q: QuestionView) -> tuple[Any, ...]:
        return question_card(q), q, "", "", None, "", "", "", f"New question ({q.topic or 'any topic'})."

    def next_question(self, topic: str, level: str, request: gr.Request) -> tuple[Any, ...]:
        q = self.backend.next_question(user_of(request), _opt(topic), _opt(level))
        return self._fresh(q)

    def review(self, request: gr.Request) -> tuple[Any, ...]:
        return self._fresh(self.backend.next_question(user_of(request), None, None, review=True))

    def submit(self, answer: str, q: QuestionView | None, request: gr.Request) -> tuple[Any, ...]:
        if q is None:
            raise InputError("Take a question first (Next question / What should I review?).")
        g = self.backend.grade(user_of(request), q.id, answer or "")
        return grade_card(g), g, follow_up_line(g), "", "", f"Graded: {g.score:.1f} / {g.max_score:.0f}."

    def refine(self, g: GradeView | None, request: gr.Request) -> tuple[Any, ...]:
        """Second step after a grade is shown: the LLM's follow-up question replaces the template."""
        if g is None or not g.follow_up_pending:
            return gr.skip(), gr.skip(), gr.skip()
        g = self.backend.refine_follow_up(user_of(request), g)
        return g, follow_up_line(g), gr.skip()

    def submit_follow_up(self, answer: str, parent: GradeView | None, request: gr.Request) -> tuple[Any, ...]:
        if parent is None or not parent.follow_up:
            raise InputError("There is no follow-up question yet: submit an answer first.")
        g = self.backend.grade_follow_up(user_of(request), parent, answer or "")
        return (grade_card(g), g, follow_up_line(g), "",
                f"Follow-up graded: {g.score:.1f} / {g.max_score:.0f}.")

    # --- mock interview ------------------------------------------------------------------------
    def _interview_outputs(self, v: InterviewView) -> tuple[Any, ...]:
        card = question_card(v.question) if v.question and not v.finished else ""
        report = md_safe(v.report_markdown) if v.finished else ""
        return card, v, "", grade_card(v.last_grade), report, interview_status(v)

    def interview_start(self, topics: list[str], n: float, request: gr.Request) -> tuple[Any, ...]:
        return self._interview_outputs(self.backend.interview_start(user_of(request), topics or [], int(n)))

    def interview_answer(self, answer: str, v: InterviewView | None, request: gr.Request) -> tuple[Any, ...]:
        if v is None or v.finished:
            raise InputError("Start a mock interview first.")
        return self._interview_outputs(self.backend.interview_answer(user_of(request), v, answer or ""))

    def topic_choices(self) -> tuple[Any, ...]:
        topics = self.backend.topics()
        return gr.update(choices=[ANY, *topics]), gr.update(choices=topics)

    # --- layout --------------------------------------------------------------------------------
    def build(self, concurrency: int) -> tuple[gr.Dropdown, gr.Dropdown]:
        """Lays out the tab; returns the two topic pickers (refreshed on page load)."""
        topics = [ANY] + self.backend.topics()
        with gr.Row():
            topic = gr.Dropdown(topics, value=ANY, label="Topic", scale=3)
            level = gr.Dropdown([ANY, *LEVELS], value=ANY, label="Level", scale=1)
            nxt = gr.Button("Next question", variant="primary", elem_id="practice-next")
            rev = gr.Button("What should I review?", elem_id="practice-review")
        q_card = gr.HTML(question_card(None), elem_id="practice-question")
        q_state, g_state = gr.State(None), gr.State(None)
        answer = gr.Textbox(label="Your answer", lines=6, elem_id="practice-answer")
        submit = gr.Button("Submit answer", variant="primary", elem_id="practice-submit")
        g_card = gr.HTML(elem_id="practice-grade")
        fu_line = gr.Markdown(elem_id="practice-followup")
        fu_box = gr.Textbox(label="Answer the follow-up", lines=4, elem_id="practice-fu-answer")
        fu_btn = gr.Button("Submit follow-up answer", elem_id="practice-fu-submit")
        fu_card = gr.HTML(elem_id="practice-fu-grade")
        status = gr.Markdown(elem_id="practice-status")

        fresh = [q_card, q_state, answer, g_card, g_state, fu_line, fu_box, fu_card, status]
        nxt.click(guarded(9)(self.next_question), [topic, level], fresh, api_name="next_question")
        rev.click(guarded(9)(self.review), None, fresh, api_name="review")
        # the grade shows first; the follow-up question (one more LLM call) replaces the template after
        refine = guarded(3)(self.refine)
        submit.click(guarded(6)(self.submit), [answer, q_state],
                     [g_card, g_state, fu_line, fu_box, fu_card, status], api_name="grade",
                     concurrency_limit=concurrency, concurrency_id="llm"
                     ).then(refine, [g_state], [g_state, fu_line, status], api_name="refine_follow_up",
                            concurrency_limit=concurrency, concurrency_id="llm")
        fu_btn.click(guarded(5)(self.submit_follow_up), [fu_box, g_state],
                     [fu_card, g_state, fu_line, fu_box, status], api_name="follow_up",
                     concurrency_limit=concurrency, concurrency_id="llm"
                     ).then(refine, [g_state], [g_state, fu_line, status], api_name="refine_follow_up_2",
                            concurrency_limit=concurrency, concurrency_id="llm")

        with gr.Accordion("Mock interview", open=False):
            with gr.Row():
                iv_topics = gr.Dropdown(topics[1:], multiselect=True, label="Topics (empty = mixed)", scale=3)
                iv_n = gr.Slider(1, 10, value=3, step=1, label="Questions", scale=1)
                iv_start = gr.Button("Start interview", elem_id="interview-start")
            iv_card = gr.HTML(elem_id="interview-question")
            iv_state = gr.State(None)
            iv_box = gr.Textbox(label="Your answer", lines=5, elem_id="interview-answer")
            iv_btn = gr.Button("Answer", elem_id="interview-submit")
            iv_last = gr.HTML(elem_id="interview-last-grade")
            iv_report = gr.Markdown(elem_id="interview-report")
            iv_status = gr.Markdown(elem_id="interview-status")
        iv_outs = [iv_card, iv_state, iv_box, iv_last, iv_report, iv_status]
        iv_start.click(guarded(6)(self.interview_start), [iv_topics, iv_n], iv_outs,
                       api_name="interview_start")
        iv_btn.click(guarded(6)(self.interview_answer), [iv_box, iv_state], iv_outs,
                     api_name="interview_answer", concurrency_limit=concurrency, concurrency_id="llm")
        return topic, iv_topics

