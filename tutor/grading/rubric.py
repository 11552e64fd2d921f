"""Rubrics are data: built once per bank item at ingest, stored with the bank, shown to the user.

Where key points come from, first that applies:
1. ``user``: the user's own rubric for the item (``<data_dir>/rubrics.json``, ``tutor bank rubric``);
   it survives re-ingest.
2. ``reviewed``: the shipped corpus's reviewed rubrics (``tutor/grading/rubrics.jsonl``), used only while
   the item's question and reference are the ones they were written for (``ref_hash``). Each key
   point must quote its support from the reference; a point whose support is not there is dropped.
3. ``structure``: the notes' own structure: the "what a pro should cover" bullets, else the
   statements of the reference answer (else of the strong answer of an interview pair). Never a
   header, a label ("Что должен затронуть профи:"), a question, a code or table-header line, a
   weak-answer example or a red-flag line; red flags stay red flags.
Pure: no heavy imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError

from tutor.core.errors import DocumentError
from tutor.core.types import BankItem, KeyPoint, Rubric
from tutor.grading.thresholds import GRADING
from tutor.text.language import detect_lang
from tutor.text.markdown import is_rule, unbullet
from tutor.text.sentences import sentences

log = logging.getLogger("tutor.grading.rubric")

REVIEWED_RUBRICS = Path(__file__).with_name("rubrics.jsonl")  # evals/rubric_review.py writes it

_LABEL = re.compile(r":\s*$")
_CODE = re.compile(r"^\s*(def |class |import |from \S+ import|return\b|#|//|[\w.\[\]\"']+\s*=[^=]|[{}\[\]()]+\s*$)")
_MARKUP = re.compile(r"\*\*|__|`|^\s*[#>]+\s*")


def ref_hash(item: BankItem) -> str:
    """What a reviewed rubric was written for: the question and its reference (whitespace-normalised)."""
    text = " ".join((item.question + "\n" + (item.reference_answer or item.strong_answer)).split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def statements(text: str) -> list[str]:
    """The statements of a reference answer that can be key points, in order.

    'Коротко:\\n**BPE** сливает частые пары. Зачем?\\n| A | B |\\n|---|---|\\n| x | 1 |' ->
    ['BPE сливает частые пары.', 'A: x; B: 1'] — labels, questions, code and table rules dropped,
    a table row becomes 'header: value' pairs."""
    out: list[str] = []
    header: list[str] = []
    in_code = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line or _CODE.match(line) or is_rule(line):
            continue
        if line.startswith("|") or line.count("|") >= 2:  # also a pipe-less row 'x | 1' (looser than is_row)
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not header:
                header = cells
                continue
            row = "; ".join(f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c)
            if GRADING.point_min_words <= len(row.split()) <= GRADING.point_max_words:
                out.append(_MARKUP.sub("", row))
            continue
        header = []
        line = unbullet(_MARKUP.sub("", line)).strip()
        for sent in sentences(line, semicolons=True):
            sent = sent.strip()
            n = len(sent.split())
            if _LABEL.search(sent) or sent.endswith("?") or not GRADING.point_min_words <= n <= GRADING.point_max_words:
                continue
            out.append(sent)
    return out


def in_language(lines: list[str], lang: str) -> list[str]:
    """Items merged from RU and EN documents carry each line twice: keep ``lang`` when both are
    present. ['А', 'B'] with 'ru' -> ['А']; a single-language list is kept."""
    mine = [x for x in lines if detect_lang(x) == lang]
    return mine if mine and len(mine) < len(lines) else lines


def structure_rubric(item: BankItem) -> Rubric:
    """The rubric the notes' structure gives (see the module docstring)."""
    lang = item.lang
    points: list[KeyPoint] = []
    if item.key_points:
        points = [KeyPoint(text=p, support=p, origin="pro") for p in in_language(item.key_points, lang)]
    else:
        for origin, text in (("reference", item.reference_answer), ("strong_answer", item.strong_answer)):
            found = statements(text)
            if found:
                points = [KeyPoint(text=s, support=s, origin=origin) for s in found]  # type: ignore[arg-type]
                break
    flags = in_language(item.red_flags, lang)
    return Rubric(key_points=points[:GRADING.max_points], red_flags=flags, origin="structure", ref_hash=ref_hash(item))


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def supported(point: KeyPoint, item: BankItem) -> bool:
    """A condensed point is kept only when its support is a verbatim part of the item's notes."""
    support = _squash(point.support)
    if len(support) < 3:
        return False
    notes = _squash("\n".join([item.reference_answer, item.strong_answer, *item.key_points]))
    return support in notes


class ReviewedRubric(BaseModel):
    id: str
    ref_hash: str
    key_points: list[KeyPoint]
    red_flags: list[str] = []
    alternates: list[str] = []


def load_reviewed(path: Path) -> dict[str, ReviewedRubric]:
    """The shipped reviewed rubrics (JSON lines); a missing file is no rubrics, a broken line is an error."""
    if not path.is_file():
        return {}
    out: dict[str, ReviewedRubric] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = ReviewedRubric.model_validate_json(line)
        except ValidationError as err:
            raise DocumentError(f"Reviewed rubric file {path}, line {n}: {err.errors()[0]['msg']}",
                                path=str(path)) from err
        out[r.id] = r
    return out


def load_user(path: Path) -> dict[str, Rubric]:
    """The user's corrected rubrics ``{item id: Rubric}``; missing file -> {}."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: Rubric.model_validate(v) for k, v in data.items()}
    except (json.JSONDecodeError, ValidationError, AttributeError) as err:
        raise DocumentError(f"The rubric file {path} is not valid ({type(err).__name__}).", path=str(path),
                            hint="Fix or delete it; `tutor bank rubric ID --reset` removes one entry.") from err


def save_user(path: Path, rubrics: dict[str, Rubric]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: v.model_dump() for k, v in sorted(rubrics.items())}, ensure_ascii=False,
                              indent=1), encoding="utf-8")
    tmp.replace(path)


def build_rubric(item: BankItem, reviewed: dict[str, ReviewedRubric], user: dict[str, Rubric]) -> Rubric:
    """The rubric of one item: the user's, else the reviewed one (if written for this reference and
    some point survives the support check), else the structure's."""
    if item.id in user:
        return user[item.id].model_copy(update={"origin": "user"})
    rev = reviewed.get(item.id)
    if rev is not None and rev.ref_hash == ref_hash(item):
        kept = [p.model_copy(update={"origin": "reviewed"}) for p in rev.key_points if supported(p, item)]
        if len(kept) < len(rev.key_points):
            log.warning("rubric %s: %d reviewed point(s) without support in the notes dropped",
                        item.id, len(rev.key_points) - len(kept))
        if kept:
            return Rubric(key_points=kept[:GRADING.max_points], red_flags=rev.red_flags or
                          in_language(item.red_flags, item.lang), origin="reviewed", ref_hash=ref_hash(item))
    return structure_rubric(item)


def attach_rubrics(items: list[BankItem], reviewed: dict[str, ReviewedRubric],
                   user: dict[str, Rubric]) -> list[BankItem]:
    """Every item with its rubric and its reviewed typed phrasings (ingest calls this before saving
    the bank); phrasings are kept only while the reviewed entry matches the item's reference."""
    out = []
    for i in items:
        rev = reviewed.get(i.id)
        alts = rev.alternates if rev is not None and rev.ref_hash == ref_hash(i) else []
        out.append(i.model_copy(update={"rubric": build_rubric(i, reviewed, user), "alternates": alts}))
    return out


def with_rubrics(items: list[BankItem], user_rubrics: Path, reviewed: Path = REVIEWED_RUBRICS) -> list[BankItem]:
    """``attach_rubrics`` with the shipped reviewed rubrics and the user's rubric file (ingest and
    ``tutor bank`` call this before they save the bank)."""
    return attach_rubrics(items, load_reviewed(reviewed), load_user(user_rubrics))
