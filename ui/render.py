"""Pure rendering of views into HTML / Markdown. Every piece of corpus, model or user text goes
through ``html.escape`` (HTML) or ``md_safe`` (Markdown shown by gr.Chatbot / gr.Markdown), so a note
containing ``<script>`` is shown as text and never runs."""

from __future__ import annotations

import re
from html import escape

from tutor.types import Citation
from ui.views import GradeView, InterviewView, PointView, QuestionView

_CODE = re.compile(r"(```.*?(?:```|$)|`[^`\n]*`)", re.S)
_VERDICT_WORD = {"covered": "covered", "partly": "partly", "missed": "missed", "contradicted": "contradicted"}
ERROR_PREFIX = "**Error:** "


def md_safe(text: str) -> str:
    """Escape HTML outside Markdown code so it is displayed, not interpreted.

    'a <b>x</b> `<i>`' -> 'a &lt;b&gt;x&lt;/b&gt; `<i>`' (code spans show their text literally anyway).
    """
    parts = _CODE.split(text)
    return "".join(p if i % 2 else escape(p, quote=False) for i, p in enumerate(parts))


def _p(text: str) -> str:
    """Escaped text with line breaks kept."""
    return escape(text).replace("\n", "<br>")


def _origin(c: Citation) -> str:
    if c.origin == "quoted":
        return (" <span class='tutor-matched' title='The answer cited no source, so the tutor quotes "
                "the best-matching note instead.'>· quoted from your notes</span>")
    if c.origin != "matched":
        return ""
    return (" <span class='tutor-matched' title='The model did not cite this source; the citation "
            "checker matched it to the claim by meaning and shared terms.'>· matched by the checker</span>")


def source_cards(citations: list[Citation]) -> str:
    """Source cards: [n] doc / section header and the exact chunk text, all escaped."""
    if not citations:
        return "<div class='tutor-empty'>No sources.</div>"
    cards = []
    for c in citations:
        cards.append(
            "<details class='tutor-card' open>"
            f"<summary><b>[{c.n}]</b> {escape(c.doc)} — <i>{escape(c.section)}</i>{_origin(c)}</summary>"
            f"<div class='tutor-chunk'>{_p(c.text)}</div></details>"
        )
    return "<div class='tutor-sources'>" + "".join(cards) + "</div>"


def question_card(q: QuestionView | None) -> str:
    if q is None:
        return "<div class='tutor-empty'>No question yet: pick a topic or ask what to review.</div>"
    meta = " · ".join(x for x in (q.topic, q.level or "", q.reason) if x)
    return (f"<div class='tutor-question' data-qid='{escape(q.id)}'><div class='tutor-meta'>{escape(meta)}"
            f"</div><div class='tutor-qtext'>{_p(q.question)}</div></div>")


def _point(p: PointView) -> str:
    word = _VERDICT_WORD[p.verdict]
    ev = f"<div class='tutor-evidence'>“{_p(p.evidence)}”</div>" if p.evidence else ""
    return (f"<li class='tutor-{p.verdict}'><span class='tutor-badge tutor-badge-{p.verdict}'>{word}</span> "
            f"{_p(p.point)}{ev}</li>")


def grade_card(g: GradeView | None) -> str:
    """Score, key points by verdict with evidence, red flags, feedback, model answer, citations."""
    if g is None:
        return ""
    order = {"covered": 0, "partly": 1, "missed": 2, "contradicted": 3}
    points = "".join(_point(p) for p in sorted(g.points, key=lambda p: order[p.verdict]))
    flags = "".join(f"<li class='tutor-flag'>{_p(f)}</li>" for f in g.red_flags)
    errors = "".join(f"<li class='tutor-error'>{_p(e)}</li>" for e in g.factual_errors)
    avoid = "".join(f"<li>{_p(f)}</li>" for f in g.rubric_red_flags)
    origin = f" ({escape(g.rubric_origin)} rubric)" if g.rubric_origin else ""
    parts = [
        f"<div class='tutor-grade'><div class='tutor-score'>Score: <b>{g.score:.1f}</b> / {g.max_score:.0f}</div>",
        f"<div class='tutor-rubric'>Graded against{origin}: {_p(g.matched_question)}</div>"
        if g.matched_question else "",
        f"<h4>Key points</h4><ul class='tutor-points'>{points}</ul>" if points else "",
        f"<h4>Red flags to avoid</h4><ul class='tutor-avoid'>{avoid}</ul>" if avoid else "",
        f"<h4>Red flags</h4><ul class='tutor-flags'>{flags}</ul>" if flags else "",
        f"<h4>Factual errors</h4><ul class='tutor-errors'>{errors}</ul>" if errors else "",
        f"<h4>Feedback</h4><div class='tutor-feedback'>{_p(g.feedback)}</div>" if g.feedback else "",
        f"<h4>Model answer</h4><div class='tutor-model'>{_p(g.model_answer)}</div>" if g.model_answer else "",
        source_cards(g.citations) if g.citations else "",
        "</div>",
    ]
    return "".join(parts)


def interview_status(v: InterviewView) -> str:
    if v.finished:
        return f"Interview finished: {v.asked} questions."
    return f"Question {v.asked} ({v.total} main questions, plus drill-downs)" if v.total else ""


def status_line(message: str, *, error: bool = False) -> str:
    """A one-line status in Markdown; the message is escaped."""
    return (ERROR_PREFIX if error else "") + md_safe(message)


CSS = """
.tutor-card{border:1px solid #ccc;border-radius:6px;padding:6px 10px;margin:6px 0}
.tutor-chunk{white-space:normal;font-size:0.9em;max-height:14em;overflow:auto;margin-top:4px}
.tutor-meta{color:#666;font-size:0.85em}
.tutor-qtext{font-size:1.1em;margin-top:4px}
.tutor-score{font-size:1.3em}
.tutor-points,.tutor-flags,.tutor-errors{list-style:none;padding-left:0}
.tutor-badge{display:inline-block;min-width:6.5em;text-align:center;border-radius:4px;padding:0 6px;
  margin-right:6px;font-size:0.85em;font-weight:600;color:#fff}
.tutor-badge-covered{background:#2e7d32}.tutor-badge-partly{background:#c49000}
.tutor-badge-missed{background:#b23b3b}.tutor-badge-contradicted{background:#6a1b9a}
.tutor-flag::before{content:"RED FLAG";color:#b23b3b;font-weight:600;font-size:0.8em;margin-right:6px}
.tutor-error::before{content:"ERROR";color:#b23b3b;font-weight:600;font-size:0.8em;margin-right:6px}
.tutor-evidence{color:#555;font-style:italic;margin-left:1.5em}
"""
