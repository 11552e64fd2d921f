"""Opposite concepts (ru + en) and named organisations: the vocabulary of contradictions that reuse
the reference's wording ('T<1 сглаживает' vs 'заостряет', 'после softmax' vs 'перед', 'faster' vs
'slower'). Pure data + lookups, no heavy imports.

Each concept is a regex matched against whole lower-cased words; ``OPPOSITE`` pairs concepts.
"""

from __future__ import annotations

import re
from functools import lru_cache

_W = r"\w*"
CONCEPTS: dict[str, str] = {
    "more": r"больше|более|more|greater",
    "less": r"меньше|менее|less|fewer",
    "higher": r"выше|higher",
    "lower": r"ниже|lower",
    "increase": rf"увелич{_W}|повыш{_W}|раст[её]т|растут|рост|возраста{_W}|increas{_W}|grows?|growing|rises?",
    "decrease": rf"уменьш{_W}|сниж{_W}|сокращ{_W}|пада{_W}|паден{_W}|decreas{_W}|reduc{_W}|drops?|shrinks?",
    "faster": rf"быстрее|ускор{_W}|faster|speedup",
    "slower": rf"медленнее|замедл{_W}|slower|slows?|slowdown",
    "before": r"перед|before|pre",
    "after": r"после|after|post",
    "max": rf"максимал{_W}|наибольш{_W}|highest|maximum|maximal|max|largest",
    "min": rf"минимал{_W}|наименьш{_W}|lowest|minimum|minimal|min|smallest",
    "large": rf"больш(?:ая|ой|ую|ие|их|им|ое|ого|ому|ими){_W}|крупн{_W}|large|big|bigger|huge",
    "small": rf"маленьк{_W}|небольш{_W}|меньш(?:ая|ую|ей|ий|ие|их|ое|ого|ими)|small|smaller|tiny",
    "strong": rf"сильн{_W}|strong|stronger",
    "weak": rf"слаб{_W}|weak|weaker",
    "sharpen": rf"заостр{_W}|sharpen{_W}|sharper|peaked",
    "flatten": rf"сглаж{_W}|flatten{_W}|flatter|smoother",
    "encoder": rf"encoder|энкодер{_W}|кодировщик{_W}",
    "decoder": rf"decoder|декодер{_W}",
    "linear": rf"линейн{_W}|linear|linearly",
    "quadratic": rf"квадратичн{_W}|quadratic|quadratically",
    "sparse": rf"разрежен{_W}|sparse",
    "dense": rf"плотн{_W}|dense",
    "always": r"всегда|always",
    "never": r"никогда|never",
    "relative": rf"относительн{_W}|relative|relatively",
    "absolute": rf"абсолютн{_W}|absolute",
    "better": rf"лучше|улучш{_W}|better|improv{_W}",
    "worse": rf"хуже|ухудш{_W}|worse|degrad{_W}|деград{_W}",
    "cheap": rf"дешев{_W}|дёшев{_W}|cheap{_W}",
    "expensive": rf"дорог{_W}|дорож{_W}|expensive|costly|costlier",
    "teacher": rf"teacher|учител{_W}",
    "student": rf"student|учени{_W}|студент{_W}",
    "add": rf"добавл{_W}|добавить|adds?|added|adding",
    "remove": rf"убира{_W}|убрать|удаля{_W}|removes?|removed|skips?|skipped",
}
_PAIRS = [("more", "less"), ("higher", "lower"), ("increase", "decrease"), ("faster", "slower"),
          ("before", "after"), ("max", "min"), ("large", "small"), ("strong", "weak"),
          ("sharpen", "flatten"), ("encoder", "decoder"), ("linear", "quadratic"), ("sparse", "dense"),
          ("always", "never"), ("relative", "absolute"), ("better", "worse"), ("cheap", "expensive"),
          ("teacher", "student"), ("add", "remove")]
OPPOSITE: dict[str, str] = {a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS}

ORGS = frozenset(("openai", "deepseek", "google", "deepmind", "meta", "facebook", "anthropic", "mistral",
                  "microsoft", "nvidia", "alibaba", "huggingface", "cohere", "ibm", "amazon", "apple",
                  "baidu", "moonshot", "xai", "stability"))

NEGATIONS = frozenset(("не", "нет", "без", "not", "no", "without", "never", "ни"))
_TOKEN = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(rx)) for name, rx in CONCEPTS.items()]


def tokens(text: str) -> list[str]:
    """'Temperature, после softmax!' -> ['temperature', 'после', 'softmax'] (ё -> е)."""
    return _TOKEN.findall(text.lower().replace("ё", "е"))


def concept_of(word: str) -> str:
    """'сглаживается' -> 'flatten'; '' when the word names no listed concept."""
    for name, rx in _compiled():
        if rx.fullmatch(word):
            return name
    return ""


def concepts(text: str) -> list[tuple[int, str]]:
    """(token position, concept) of every concept word not negated by the one or two words before it:
    'не быстрее, а медленнее' -> [(3, 'slower')]."""
    toks = tokens(text)
    out = []
    for i, w in enumerate(toks):
        c = concept_of(w)
        if c and not (NEGATIONS & set(toks[max(0, i - 2):i])):
            out.append((i, c))
    return out


def orgs(text: str) -> set[str]:
    """Organisations named in the text: 'метод OpenAI и DeepSeek-R1' -> {'openai', 'deepseek'}."""
    return {t for t in tokens(text) if t in ORGS}
