"""Pure rendering of views into HTML / Markdown. Every piece of corpus, model or user text goes
through ``html.escape`` (HTML) or ``md_safe`` (Markdown shown by gr.Chatbot / gr.Markdown), so a note
containing ``<script>`` is shown as text and never runs."""

from __future__ import annotations

import re
from html import escape

from tutor.core.types import Citation
from ui.views import GradeView, InterviewView, PointView, QuestionView

_CODE = re.compile(r"(```.*?(?:```|$)|`[^`\n]*`)", re.S)
_QUOTE_MARK = re.compile(r"^[ \t]{0,3}(?:&gt;[ \t]?)+", re.M)  # escaped blockquote markers at a line start
_VERDICT_WORD = {"covered": "covered", "partly": "partly", "missed": "missed", "contradicted": "contradicted"}
ERROR_PREFIX = "**Error:** "


def md_safe(text: str) -> str:
    """Escape HTML outside Markdown code so it is displayed, not interpreted; a '>' opening a line
    stays: it quotes (the notes' part of an answer), and with every '<' escaped no tag can form.

    'a <b>x</b> `<i>`' -> 'a &lt;b&gt;x&lt;/b&gt; `<i>`' (code spans show their text literally anyway);
    '> A <b>' -> '> A &lt;b&gt;'.
    """
    parts = _CODE.split(text)
    out = "".join(p if i % 2 else escape(p, quote=False) for i, p in enumerate(parts))
    return _QUOTE_MARK.sub(lambda m: m.group(0).replace("&gt;", ">"), out)


def _p(text: str) -> str:
    """Escaped text with line breaks kept."""
    return escape(text).replace("\n", "<br>")


def _origin(c: Citation) -> str:
    if c.origin == "notes" and c.quotes:
        return (" <span class='tutor-matched' title='The highlighted sentences of this note are shown "
                "verbatim in the answer.'>· quoted in the answer</span>")
    return " <span class='tutor-related'>· related</span>" if c.origin == "context" else ""


def highlight(text: str, quotes: list[str]) -> str:
    """Escaped ``text`` with each quote found in it wrapped in <mark> (line breaks kept); a quote
    matches across any whitespace (the notes' answer may join lines the chunk breaks).

    highlight('A. B <x>. C.', ['B <x>.']) -> 'A. <mark class="tutor-quote">B &lt;x&gt;.</mark> C.'"""
    spans: list[tuple[int, int]] = []
    for q in quotes:
        words = q.split()
        m = re.search(r"\s+".join(re.escape(w) for w in words), text) if words else None
        if m and not any(a < m.end() and m.start() < b for a, b in spans):
            spans.append((m.start(), m.end()))
    out, pos = [], 0
    for a, b in sorted(spans):
        out += [_p(text[pos:a]), "<mark class='tutor-quote'>", _p(text[a:b]), "</mark>"]
        pos = b
    out.append(_p(text[pos:]))
    return "".join(out)


def _context(before: str, after: str) -> str:
    if not (before or after):
        return ""
    parts = [f"<div class='tutor-before'>{_p(before)}</div>" if before else "",
             "<div class='tutor-here'>⋯ the cited note ⋯</div>",
             f"<div class='tutor-after'>{_p(after)}</div>" if after else ""]
    return ("<details class='tutor-neighbours'><summary>Neighbouring context in the document</summary>"
            + "".join(parts) + "</details>")


def source_cards(citations: list[Citation], context: dict[int, tuple[str, str]] | None = None) -> str:
    """Source cards: [n] doc / section header and the exact chunk text with the sentences the answer
    quotes highlighted, all escaped; ``context``: n -> (text before, text after) in the document.
    Card n has the id ``src-n`` (an answer's [n] link opens and scrolls to it)."""
    if not citations:
        return "<div class='tutor-empty'>No sources.</div>"
    cards = []
    for c in citations:
        before, after = (context or {}).get(c.n, ("", ""))
        cards.append(
            f"<details class='tutor-card' id='src-{c.n}' open>"
            f"<summary><b>[{c.n}]</b> {escape(c.doc)} — <i>{escape(c.section)}</i>{_origin(c)}</summary>"
            f"<div class='tutor-chunk'>{highlight(c.text, c.quotes)}</div>{_context(before, after)}</details>"
        )
    return "<div class='tutor-sources'>" + "".join(cards) + "</div>"


_CITE = re.compile(r"\[(\d{1,2})\]")


def link_citations(markdown: str) -> str:
    """'… [1] …' -> '… [[1]](#src-1) …': each citation opens its source card (outside code)."""
    parts = _CODE.split(markdown)
    return "".join(p if i % 2 else _CITE.sub(r"[[\1]](#src-\1)", p) for i, p in enumerate(parts))


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
.tutor-quote{background:#fff1a8;padding:0 1px}
.tutor-card.tutor-focus{outline:3px solid #f0b400}
.tutor-related{color:#777;font-size:0.85em}
.tutor-neighbours{margin-top:4px;font-size:0.85em;color:#555}
.tutor-here{text-align:center;color:#999}
"""

# Clicking an answer's [n] opens source card n, scrolls to it and outlines it (the Chatbot renders
# the link; the card lives in the Sources panel).
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href*="#src-"]');
    if (!a) return;
    const id = a.getAttribute('href').split('#')[1];
    const card = document.getElementById(id);
    if (!card) return;
    ev.preventDefault(); ev.stopPropagation();
    card.open = true;
    document.querySelectorAll('.tutor-card.tutor-focus').forEach(c => c.classList.remove('tutor-focus'));
    card.classList.add('tutor-focus');
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
  }, true);
}
"""
