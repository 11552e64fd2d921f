"""The labels the notes put on a wrong claim: a misconception ('Заблуждение: ...', its correction on
the next line), an interview pair's weak answer ('Слабый ответ: «...»', the strong answer next), a
rubric's red flags ('Red flags:' and its bullets; ingest renders a notebook's red flags under
``RED_FLAGS_HEADING``). Quoting such a line as the notes' word, or without what follows it, would
state the wrong claim as true."""

from __future__ import annotations

import re

from tutor.text.markdown import is_bullet

MISCONCEPTION = re.compile(r"^\s*(Заблуждение|Misconception)\s*:", re.IGNORECASE)
_WEAK_ANSWER = re.compile(r"^\s*(?:Слабый ответ|Weak answer)\s*:", re.IGNORECASE)
RED_FLAGS_HEADING = "Red flags:"
_RED_FLAGS = re.compile(r"^\s*(?:Red flags|Красные флаги)\s*:?\s*$", re.IGNORECASE)


def is_wrong_claim(line: str) -> bool:
    """'Заблуждение: 'KV cache -- просто кэш'' -> True; 'Слабый ответ: «...»' -> True; 'KV cache ...' -> False."""
    return bool(MISCONCEPTION.match(line) or _WEAK_ANSWER.match(line))


def red_flag_lines(text: str) -> list[str]:
    """The bullets under a 'Red flags:' label, up to the first line that is not a bullet.
    'A.\\nRed flags:\\n- Путает MQA с MHA.\\n- Claims X.' -> ['- Путает MQA с MHA.', '- Claims X.']"""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if _RED_FLAGS.match(line):
            inside = True
        elif inside and is_bullet(line):
            out.append(line.strip())
        elif line.strip():
            inside = False
    return out
