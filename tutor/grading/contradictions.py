"""Contradictions that reuse the reference's vocabulary, found on aligned statement pairs. Pure:
similarity is lexical unless a vector function (the embedder) is given.

1. The reference and the key points are cut into statements (clauses and their ', '/' и '/' and '
   parts); each answer clause is aligned to the statement it talks about (shared word stems, terms
   and numbers left out so that a swapped term does not break the alignment; or embedding cosine).
2. An aligned pair conflicts when the answer states the opposite concept ('после softmax' vs
   'перед softmax', 'медленнее' vs 'быстрее'), puts the opposite concept or a rival version in the
   subject's place ('слабая модель оценивает сильную' vs 'сильная LLM оценивает'), flips a bound
   ('T<1' vs 'T>1'), states a byte size far from the reference's ('10MB' vs '10GB'), names a
   version of the same shape in place of the reference's ('FP32' vs 'FP16') or another
   organisation ('OpenAI' vs 'DeepSeek').
   With the reference's subjects (the words its sentences open with: 'Prefill обрабатывает…',
   'Decode добавляет…'), a pair also conflicts when the answer says the statement about the other
   subject ('Continuous batching ждёт…' vs 'Традиционный batching ждёт…'), or negates what the
   reference says about the same subject ('vLLM его не используют' vs 'vLLM используют…').
   An answer clause that denies a term the reference states ('Bias у такого судьи отсутствует' vs
   'Problem: judge bias') conflicts too, unless the reference negates that term as well.
3. A red flag that quotes a phrase («Всегда быстрее, ставь и не думай») is shown when an answer
   sentence says that phrase (and, within the words it matched, negates nothing the phrase
   does not).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from tutor.grading import lexicon, quantities
from tutor.grading.checks import STOP, latin_terms, sentences
from tutor.grading.consistency import Conflict, clauses

VectorFn = Callable[[Sequence[str]], list[list[float]]]
MIN_SHARED = 2
MIN_SCORE = 0.40      # shared stems / the shorter side's stems
MIN_COSINE = 0.80     # EmbeddingGemma cosine for an alignment without shared wording
NEAR = 0.75           # statements scoring within this share of the best match are aligned too
QUOTE_SHARE = 0.8
_PARTS = re.compile(r",\s+|\s+(?:и|and)\s+|\s+-\s+|\(\d\)")
_ANSWER_CUT = re.compile(r",\s+(?=(?:поэтому|зато|so|therefore|hence|thus|потому что|because)\s)", re.IGNORECASE)
_QUOTE = re.compile(r"«([^»]+)»|“([^”]+)”|\"([^\"]+)\"")


def statements(reference: str, key_points: Sequence[str] = ()) -> list[str]:
    """Reference clauses, their parts and the key points, each once: 'A и B. C' -> ['A и B.', 'A', 'B', 'C']."""
    out: list[str] = []
    for text in [reference, *key_points]:
        for c in clauses(text):
            for s in [c, *_PARTS.split(c)]:
                s = s.strip(" ,.;:-")
                if s and len(stems(s)) >= 2 and s not in out:
                    out.append(s)
    return out


def answer_clauses(answer: str) -> list[str]:
    """Clauses of the answer, also cut before 'поэтому' / 'so': 'X плох, поэтому Y лучше' -> 2 clauses."""
    return [p.strip(" ,") for c in clauses(answer) for p in _ANSWER_CUT.split(c) if len(p.strip()) > 3]


def stems(text: str) -> set[str]:
    """Alignment words: 5-letter stems of ordinary words, numbers and sizes ('100-1000' -> '100',
    '1000'; '70B' -> '70b'); no versions (FP16), concepts or stop words, so a swapped one keeps the
    alignment."""
    out = set()
    versions = quantities.variants(text)
    for w in lexicon.tokens(text):
        if w[0].isdigit():
            if len(w) > 1:
                out.add(w)  # numbers and sizes: '100', '70b', '4k' (not '1' of 'T<1' and 'T>1')

        elif not (w in STOP or len(w) < 3 or any(ch.isdigit() for ch in w) or lexicon.concept_of(w)
                  or w in versions):
            out.add(w[:5])
    return out


def _lexical(a: set[str], b: set[str]) -> float:
    """Shared stems / the shorter side's word stems (numbers help a match, never dilute it)."""
    shared = len(a & b)
    if shared < MIN_SHARED:
        return 0.0
    return min(1.0, shared / max(1, min(_n_words(a), _n_words(b))))


def _n_words(s: set[str]) -> int:
    return sum(not x[0].isdigit() for x in s)


def _cos(a: list[float], b: list[float]) -> float:
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(x * x for x in b)) or 1.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def align(parts: list[str], stmts: list[str], vectors: VectorFn | None = None) -> list[list[str]]:
    """For each answer clause, the statements it talks about: those within NEAR of the best lexical
    match (>= MIN_SCORE), else (with vectors) the nearest statement by cosine if >= MIN_COSINE."""
    st = [stems(s) for s in stmts]
    out: list[list[str]] = []
    for p in parts:
        ps = stems(p)
        scores = [_lexical(ps, s) for s in st]
        best = max(scores, default=0.0)
        out.append([stmts[j] for j, x in enumerate(scores) if x >= max(MIN_SCORE, NEAR * best)]
                   if best >= MIN_SCORE else [])
    if vectors is not None and [] in out and stmts:
        vecs = vectors([*parts, *stmts])
        pv, sv = vecs[: len(parts)], vecs[len(parts):]
        for i in range(len(parts)):
            if not out[i]:
                sims = [_cos(pv[i], v) for v in sv]
                j = max(range(len(sims)), key=sims.__getitem__)
                out[i] = [stmts[j]] if sims[j] >= MIN_COSINE else []
    return out


def opposite_concept(a: str, r: str) -> bool:
    """'распределение сглаживается' vs 'распределение заостряется' -> True."""
    ca, cr = {c for _, c in lexicon.concepts(a)}, {c for _, c in lexicon.concepts(r)}
    return any(lexicon.OPPOSITE[c] in cr and c not in cr and lexicon.OPPOSITE[c] not in ca for c in ca)


def _roles(text: str, rivals: set[str]) -> list[tuple[int, str]]:
    """(position, role) of concept words and of the given rival versions, in text order."""
    toks = lexicon.tokens(text)
    out = list(lexicon.concepts(text))
    for i, t in enumerate(toks):
        if t in rivals or (i + 1 < len(toks) and t + toks[i + 1] in rivals):
            out.append((i, t if t in rivals else t + toks[i + 1]))
    return sorted(out)


def _rival(x: str, y: str) -> bool:
    if x in lexicon.OPPOSITE:
        return lexicon.OPPOSITE[x] == y
    return x != y and y not in lexicon.OPPOSITE and quantities.shape(x) == quantities.shape(y)


def swapped_roles(a: str, r: str) -> bool:
    """The first role word (the subject) is the rival of the reference's, and the reference names
    both: 'маленькая модель обучает большую' vs 'большая модель обучает меньшую' -> True, when a
    word after the subject is shared."""
    rivals = quantities.variants(a) | quantities.variants(r)
    ra, rr = _roles(a, rivals), _roles(r, rivals)
    if not ra or not rr:
        return False
    (ia, x), (ir, y) = ra[0], rr[0]
    if not _rival(x, y) or x not in {n for _, n in rr}:
        return False  # the reference statement must relate both roles ('A обучает B')
    return bool(_tail(a, ia, rivals) & _tail(r, ir, rivals))


def _tail(text: str, i: int, rivals: set[str]) -> set[str]:
    """5-letter stems of the ordinary words after token ``i``."""
    return {w[:5] for w in lexicon.tokens(text)[i + 1:] if len(w) > 3 and w not in STOP and w not in rivals
            and not any(ch.isdigit() for ch in w) and not lexicon.concept_of(w)}


class Subjects:
    """What the reference's sentences are about: the first ordinary word of each of its clauses
    ('Prefill обрабатывает…' -> 'prefi'; 'Традиционный batching ждёт…' -> 'tradi'), as 5-letter
    stems. A statement's subject is that of the reference clause it was cut from (else the first
    such word in it); an answer clause's subject is the first such word in it."""

    def __init__(self, reference: str, question: str) -> None:
        self.ref_clauses = [c for c in clauses(reference) if c.strip()]
        self.words = {w for c in self.ref_clauses for w in _opening(c)}
        self.question = {w[:5] for w in lexicon.tokens(question)}
        self.norm_ref = _norm(reference)

    def of_answer(self, text: str) -> str:
        return next((w for w in _stems_in_order(text) if w in self.words), "")

    def of_statement(self, stmt: str) -> str:
        """The subject of the reference clause the statement was cut from, else its own."""
        home = next((c for c in self.ref_clauses if stmt in c), "")
        return (self.of_answer(home) if home else "") or self.of_answer(stmt)

    def applies(self, a: str, r: str) -> bool:
        """Subjects are read from prose only: not from code, tables or list blocks (which have no
        subject in first position), and not when the answer clause is the reference's own words."""
        return all(len(t) <= PROSE_CHARS and not _BLOCK.search(t) for t in (a, r)) and \
            _norm(a) not in self.norm_ref

    def swapped(self, a: str, r: str) -> bool:
        """The answer clause says the statement about another subject of the reference: its subject
        differs, one of the two is asked about, and neither side names the other's subject."""
        sa, sr = self.of_answer(a), self.of_statement(r)
        if not sa or not sr or sa == sr or not ({sa, sr} & self.question):
            return False
        return not _mentions(a, sr) and not _mentions(r, sa)

    def negated(self, a: str, r: str) -> bool:
        """Same (named) subject, and the answer negates a word the statement states, or back."""
        sa = self.of_answer(a)
        return bool(sa) and sa == self.of_statement(r) and (_flip(a, r) or _flip(r, a))


# the word right after a negation (narrower than consistency's two words: 'не ждать завершения'
# must not negate 'завершения', which the reference states of the other subject)
_NEG_ALT = "|".join(sorted(lexicon.NEGATIONS, key=lambda w: (-len(w), w)))  # longest first: 'нет' before 'не'
_NEG_WORD = re.compile(rf"\b(?:{_NEG_ALT})\s+(\w+)", re.IGNORECASE)


def negated(text: str) -> set[str]:
    """5-letter stems of the word right after each negation, if an ordinary word: 'его не используют'
    -> {'испол'}; 'не ниже 40%' -> set() (a bound, the comparison check's business)."""
    return {w.lower()[:5] for w in _NEG_WORD.findall(text)
            if len(w) > 3 and not any(ch.isdigit() for ch in w) and not lexicon.concept_of(w.lower())}


def _flip(a: str, b: str) -> bool:
    """A word negated in ``a`` occurs in ``b``, which negates nothing."""
    return not _NEG_WORD.search(b) and bool(negated(a) & {w[:5] for w in lexicon.tokens(b)})


PROSE_CHARS = 300
_BLOCK = re.compile(r"\n|\||[=\[\]{}]|\w\(|\s-\s.*\s-\s")


def _norm(text: str) -> str:
    return " ".join(lexicon.tokens(text))


def _opening(clause: str) -> list[str]:
    """The first ordinary word (4+ letters) of a clause, as a stem; a label ('Результат:') or a
    number opens none."""
    for w in lexicon.tokens(clause):
        if w in STOP or len(w) < 4 or w[0].isdigit():
            continue
        return [] if clause.lstrip().lower().startswith(w + ":") else [w[:5]]
    return []


def _stems_in_order(text: str) -> list[str]:
    return [w[:5] for w in lexicon.tokens(text) if w not in STOP and len(w) >= 4]


def _mentions(text: str, stem: str) -> bool:
    """Does the text name the subject ('keys' names 'key', 'традиционного' names 'tradi')?"""
    return any(w.startswith(stem) or stem.startswith(w) for w in _stems_in_order(text))


# a predicate saying that something does not exist or never happens
_DENIAL = re.compile(
    r"\b(?:отсутству\w*|не\s+(?:бывает|бывают|существует|существуют|возникает|возникают|встречается)"
    r"|(?:is|are)\s+(?:absent|non-?existent)|(?:does|do)\s+not\s+(?:exist|happen|occur)"
    r"|(?:doesn't|don't)\s+(?:exist|happen|occur)|never\s+(?:happens?|occurs?|arises?))\b", re.IGNORECASE)
DENIAL_WINDOW = 4     # words before the predicate, within its clause, that it can deny
_CLAUSE_STOP = re.compile(r"[,.;:!?()—–]")
_NEG_BEFORE = re.compile(rf"\b(?:{_NEG_ALT})\s+(?:\S+\s+)?$", re.IGNORECASE)


def denied_terms(text: str) -> set[str]:
    """Technical terms the text says do not exist or never happen: the Latin-script terms among the
    few words before a denial predicate in the same clause. 'Bias у такого судьи отсутствует,
    self-preference не бывает' -> {'bias', 'self-preference'}; 'bias есть всегда' -> set()."""
    out: set[str] = set()
    for m in _DENIAL.finditer(text):
        before = _CLAUSE_STOP.split(text[:m.start()])[-1]
        window = " ".join(before.split()[-DENIAL_WINDOW:])
        out |= latin_terms(window)
    return out


def _negated_in(text: str, term: str) -> bool:
    """The text denies the term too, or says it with a negation just before ('без bias', 'no bias')."""
    if term in denied_terms(text):
        return True
    low = text.lower()
    return any(_NEG_BEFORE.search(low[:m.start()]) for m in re.finditer(re.escape(term), low))


def denials(parts: Sequence[str], stmts: Sequence[str]) -> list[Conflict]:
    """Answer clauses denying a term the reference states ('Bias у такого судьи отсутствует' vs
    'Problem: judge bias, self-preference'), unless the reference negates that term as well."""
    out = []
    for part in parts:
        for term in sorted(denied_terms(part)):
            home = next((s for s in stmts if term in latin_terms(s)), "")
            if home and not any(_negated_in(s, term) for s in stmts if term in s.lower()):
                out.append(Conflict(clause=part, reference=home, kind="denial"))
                break
    return out


def pair_conflict(a: str, r: str) -> str:
    """The kind of contradiction between an answer clause and the statement it talks about, or ''."""
    if quantities.flipped_comparison(a, r):
        return "comparison"
    if quantities.size_mismatch(a, r):
        return "unit"
    if quantities.swapped_variant(a, r):
        return "term"
    if lexicon.orgs(a) - lexicon.orgs(r) and lexicon.orgs(r) - lexicon.orgs(a):
        return "entity"
    if opposite_concept(a, r):
        return "antonym"
    if swapped_roles(a, r):
        return "swap"
    return ""


def confirms(kind: str, a: str, r: str) -> bool:
    """Another aligned statement says what the answer says in the respect ``kind`` is about (the
    same bound, size, version, organisation or concept), so a conflict with one statement is not
    taken as a contradiction: 'при T>1 сглаживается' vs the two sentences on T<1 and T>1."""
    if kind == "swap" or pair_conflict(a, r):
        return False  # a swap needs a statement relating both roles: no part of one confirms it
    if kind == "comparison":
        return bool(quantities.comparisons(a) & quantities.comparisons(r))
    if kind == "unit":
        return bool(quantities.sizes(r))
    if kind == "term":
        return bool(quantities.variants(a) & quantities.variants(r))
    if kind == "entity":
        return bool(lexicon.orgs(a) & lexicon.orgs(r))
    return bool({c for _, c in lexicon.concepts(a)} & {c for _, c in lexicon.concepts(r)})


def quoted_red_flags(answer: str, red_flags: Sequence[str]) -> list[Conflict]:
    """Red flags quoting a phrase the answer says: '«Ничего не теряем».' + 'Мы ничего не теряем.'."""
    out = []
    sents = sentences(answer)
    for flag in red_flags:
        for phrase in ("".join(g) for g in _QUOTE.findall(flag)):
            words = [w for w in lexicon.tokens(phrase) if w not in STOP or w in lexicon.NEGATIONS]
            if len([w for w in words if w not in lexicon.NEGATIONS]) < 2:
                continue
            for s in sents:
                toks = lexicon.tokens(s)
                hit = sum(any(_same(w, t) for t in toks) for w in words) / len(words)
                if hit >= QUOTE_SHARE and not _extra_negation(toks, words):
                    out.append(Conflict(clause=s, reference=flag, kind="red_flag"))
                    break
    return out


def _extra_negation(toks: list[str], words: list[str]) -> bool:
    """Does the answer negate the quoted phrase? Only negations inside the matched span (and the
    word just before it) count, so a later 'дообучать не нужно' in the same sentence does not hide
    'бесплатно и без потерь'; 'не бесплатно и без потерь' is still refused."""
    idx = [i for i, t in enumerate(toks) if any(_same(w, t) for w in words if w not in lexicon.NEGATIONS)]
    if not idx:
        return False
    span = toks[max(0, min(idx) - 1):max(idx) + 1]
    return sum(t in lexicon.NEGATIONS for t in span) > sum(w in lexicon.NEGATIONS for w in words)


def _same(w: str, t: str) -> bool:
    """Same word up to its ending: 'новым' ~ 'новый', 'видом' ~ 'вид', 'не' ~ 'не'."""
    if len(w) <= 3 or len(t) <= 3:
        return w == t or (min(len(w), len(t)) == 3 and (w.startswith(t) or t.startswith(w)))
    return w[:4] == t[:4]


def suspicious_pairs(answer: str, reference: str, key_points: Sequence[str] = (), limit: int = 2,
                     vectors: VectorFn | None = None) -> list[tuple[str, str]]:
    """(answer clause, statement) pairs no check decides but whose first concept word (the subject)
    is the opposite of the statement's ('слабая модель оценивает outputs сильной' vs 'сильная LLM
    ... оценки outputs'): worth a focused LLM question. At most ``limit``, in answer order."""
    stmts = statements(reference, key_points)
    parts = answer_clauses(answer)
    out: list[tuple[str, str]] = []
    for part, near in zip(parts, align(parts, stmts, vectors), strict=True):
        if not near or any(pair_conflict(part, s) for s in near):
            continue
        subject = lexicon.concepts(part)[:1]
        for stmt in near:
            ref = lexicon.concepts(stmt)
            if subject and ref and lexicon.OPPOSITE[subject[0][1]] == ref[0][1]:
                out.append((part, stmt))
                break
    return out[:limit]


def find_contradictions(answer: str, reference: str, key_points: Sequence[str] = (),
                        red_flags: Sequence[str] = (), vectors: VectorFn | None = None,
                        question: str = "") -> list[Conflict]:
    """Answer clauses contradicting the statement of the reference / key points they talk about,
    plus red flags the answer says word for word."""
    stmts = statements(reference, key_points)
    parts = answer_clauses(answer)
    subjects = Subjects(reference, question)
    out = []
    for part, near in zip(parts, align(parts, stmts, vectors), strict=True):
        for stmt in near:
            kind = pair_conflict(part, stmt)
            if kind and not any(confirms(kind, part, other) for other in near if other != stmt):
                out.append(Conflict(clause=part, reference=stmt, kind=kind))
                break
            kind = _subject_conflict(subjects, part, stmt, near)
            if kind:
                out.append(Conflict(clause=part, reference=stmt, kind=kind))
                break
    found = {c.clause for c in out}
    out += [c for c in denials(parts, stmts) if c.clause not in found]
    return out + quoted_red_flags(answer, red_flags)


def _subject_conflict(subjects: Subjects, part: str, stmt: str, near: list[str]) -> str:
    """'subject' / 'negation', unless another statement about the answer's subject aligns as well, or
    one negates the same word."""
    if not subjects.applies(part, stmt):
        return ""
    if subjects.swapped(part, stmt):
        own, same = stems(part), subjects.of_answer(part)
        score = _lexical(own, stems(stmt))
        if not any(subjects.of_statement(o) == same and _lexical(own, stems(o)) >= score
                   for o in near if o != stmt):
            return "subject"
    if subjects.negated(part, stmt) and not any(negated(part) & negated(o) for o in near if o != stmt):
        return "negation"
    return ""
