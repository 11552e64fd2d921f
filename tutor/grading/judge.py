"""The LLM judges one key point at a time; Python decides what its numbers mean.

A key point with a probe (``tutor.core.types.Probe``) is checked by a two-option question about the
candidate's sentences: "Which method merges the most frequent pairs? A) BPE B) WordPiece C) the
text does not say". The model's first-token probabilities (``ChatLLM.choose``) give P(right),
P(wrong), P(not said); the options are asked in the other order too when the two sides are close
and 'not said' does not lead (a small model leans to a position). The verdict:
* supports     — P(right) leads P(wrong) by at least ``margin`` and beats P(not said);
* contradicts  — P(wrong) leads P(right) by at least ``margin`` and beats P(not said);
* unrelated    — otherwise.
A small model is far better at this extractive pick than at "does A entail B" (measured in
docs/grading.md: the yes/no entailment question gave 'contradicts' for every pair).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tutor.core.ports import ChatLLM, Message
from tutor.core.prompting import render
from tutor.core.types import Probe
from tutor.grading.thresholds import GradingThresholds

Verdict = Literal["supports", "contradicts", "unrelated"]
OPTIONS = ("A", "B", "C")


@dataclass(frozen=True)
class Reading:
    right: float
    wrong: float
    none: float
    calls: int

    def verdict(self, t: GradingThresholds) -> Verdict:
        if self.none >= t.unrelated_at or self.none >= max(self.right, self.wrong):
            return "unrelated"
        if self.right - self.wrong >= t.margin:
            return "supports"
        if self.wrong - self.right >= t.margin:
            return "contradicts"
        return "unrelated"


def probe_messages(evidence: str, probe: Probe, *, swapped: bool) -> list[Message]:
    a, b = (probe.wrong, probe.right) if swapped else (probe.right, probe.wrong)
    return [{"role": "system", "content": render("probe_system")},
            {"role": "user", "content": render("probe", evidence=evidence, question=probe.question, a=a, b=b)}]


def read_probe(llm: ChatLLM, evidence: str, probe: Probe, t: GradingThresholds) -> Reading:
    """P(right), P(wrong), P(not said) for one key point's probe over the candidate's evidence."""
    p = llm.choose(probe_messages(evidence, probe, swapped=False), OPTIONS, purpose="grade_probe")
    right, wrong, none, calls = p["A"], p["B"], p["C"], 1
    if none < max(right, wrong) and abs(right - wrong) < t.swap_below:
        q = llm.choose(probe_messages(evidence, probe, swapped=True), OPTIONS, purpose="grade_probe")
        right, wrong, none, calls = (right + q["B"]) / 2, (wrong + q["A"]) / 2, (none + q["C"]) / 2, 2
    return Reading(right=right, wrong=wrong, none=none, calls=calls)
