"""The citation checker (tutor/attribution.py) with a deterministic keyword embedder."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np

from tests.fakes import FakeLLM
from tests.test_answer_flow import SETTINGS, FakeSearcher, hit
from tutor.answering import Tutor
from tutor.attribution import Attributor, Score, Thresholds, attribute_text, lexical, passages, split_segments
from tutor.term_bridge import bridge_terms, pair_terms, surface_words
from tutor.text_vectors import TextVectors
from tutor.types import Citation

# each topic is one axis: a text's vector counts the topic words it contains
TOPICS = [("lora", "low-rank", "низкоранг", "адаптер", "adapter"), ("kv", "cache", "кэш"),
          ("dpo", "ppo", "reward", "награ"), ("борщ", "свёкл", "beet")]


# single words (the cross-lingual term bridge embeds words): a word and its listed translation share
# one axis, every other word has its own
TRANSLATIONS = {"стабильнее": "stable", "памяти": "memory", "память": "memory", "политику": "policy"}
WORD_AXES = 512


class TopicEmbedder:
    dim = len(TOPICS) + 1 + WORD_AXES

    def __init__(self) -> None:
        self.documents: list[str] = []
        self.queries: list[str] = []

    def _vec(self, text: str) -> list[float]:
        low = text.lower()
        if " " not in low.strip():
            word = [0.0] * self.dim
            word[len(TOPICS) + 1 + zlib.crc32(TRANSLATIONS.get(low, low).encode()) % WORD_AXES] = 1.0
            return word
        v = [float(sum(low.count(w) for w in words)) for words in TOPICS] + [0.3] + [0.0] * WORD_AXES  # + a bias
        n = math.sqrt(sum(x * x for x in v))
        return [x / n for x in v]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.documents.extend(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return self._vec(text)


def src(n: int, text: str) -> Citation:
    return Citation(n=n, chunk_id=f"c{n}", doc="notes.txt", section=f"S{n}", text=text)


SOURCES = [
    src(1, "LoRA: обучаем low-rank адаптеры A и B, W = W0 + BA; веса базовой модели заморожены, "
           "число обучаемых параметров падает в сотни раз."),
    src(2, "KV cache хранит keys и values прошлых токенов, поэтому декодирование не пересчитывает "
           "attention для всего префикса; память кэша растёт с длиной контекста."),
    src(3, "DPO оптимизирует политику напрямую по парам предпочтений, без reward model и без PPO."),
]


def run(text: str, th: Thresholds | None = None):
    return Attributor(TopicEmbedder(), **({"thresholds": th} if th else {})).attribute(text, SOURCES)


# --- splitting -----------------------------------------------------------------------------------
def test_split_sentences_lists_abbreviations_and_code():
    text = ("Вот что говорят заметки:\n1. LoRA обучает адаптеры, т.е. матрицы A и B [1]. Это дёшево.\n"
            "- KV cache stores keys, e.g. for 2.5x speed. It grows with context!\n```python\nx[0] = 1. Next\n```\nИтак.")
    segs = split_segments(text)
    assert [(s.kind, s.text) for s in segs] == [
        ("framing", "Вот что говорят заметки:"),
        ("claim", "1. LoRA обучает адаптеры, т.е. матрицы A и B [1]."),
        ("framing", "Это дёшево."),  # one content term: nothing checkable
        ("claim", "- KV cache stores keys, e.g. for 2.5x speed."),
        ("claim", "It grows with context!"),
        ("code", "```python\nx[0] = 1. Next\n```"),
        ("framing", "Итак."),
    ]
    assert all(text[s.start:s.end] == s.text for s in segs)


def test_lexical_uses_stems_across_forms():
    share, shared = lexical("Адаптеры LoRA обучаются", "LoRA: обучаем адаптер")
    assert shared == 3 and share == 1.0
    assert lexical("рецепт борща", SOURCES[0].text) == (0.0, 0)


# --- decisions -----------------------------------------------------------------------------------
def test_supported_uncited_claims_get_the_supporting_source_ru_and_en():
    out = run("LoRA обучает low-rank адаптеры A и B вместо полных весов.\n"
              "The KV cache stores keys and values of past tokens, so decoding skips recomputation.")
    assert out.text == ("LoRA обучает low-rank адаптеры A и B вместо полных весов [1].\n"
                        "The KV cache stores keys and values of past tokens, so decoding skips "
                        "recomputation [2].")
    assert out.matched == [1, 2] and [c.action for c in out.changes] == ["added", "added"]
    assert out.claims == 2 and out.uncited == 0


def test_unsupported_claim_stays_uncited():
    out = run("Борщ варят со свёклой и капустой.")
    assert out.text == "Борщ варят со свёклой и капустой." and out.matched == [] and out.uncited == 1


def test_framing_needs_no_citation_and_code_is_untouched():
    text = ("Вот что говорят заметки:\nВ источниках нет сведений о том, как LoRA влияет на KV cache.\n"
            "The notes do not say whether DPO needs a reward model.\n```\ncache[1] = lora_adapter(x)\n```")
    out = run(text)
    assert out.text == text and out.claims == 0 and out.changes == []


def test_model_citation_on_the_right_source_is_kept():
    text = "DPO обходится без reward model и без PPO [3]."
    out = run(text)
    assert out.text == text and out.changes == [] and out.matched == []


def test_wrong_number_is_moved_to_the_supporting_source():
    out = run("LoRA замораживает веса базовой модели и обучает low-rank адаптеры [3].")
    assert out.text == "LoRA замораживает веса базовой модели и обучает low-rank адаптеры [1]."
    assert [(c.action, c.old, c.new) for c in out.changes] == [("moved", 3, 1)]
    assert out.matched == [1]


def test_wrong_number_with_no_support_is_dropped():
    out = run("Борщ варят со свёклой и капустой [2].")
    assert out.text == "Борщ варят со свёклой и капустой."
    assert [(c.action, c.old, c.new) for c in out.changes] == [("dropped", 2, None)]


def test_both_checks_must_pass():
    scores = {0: {1: Score(1, dense=0.9, lexical=0.1, shared=1), 2: Score(2, dense=0.1, lexical=0.9, shared=5)}}
    text = "LoRA adapters are cheap to train today."
    out = attribute_text(text, split_segments(text), scores, Thresholds())
    assert out.text == text and out.uncited == 1
    scores[0][2] = Score(2, dense=0.6, lexical=0.6, shared=3)
    assert attribute_text(text, split_segments(text), scores).text == "LoRA adapters are cheap to train today [2]."


def test_a_closing_marker_group_vouches_for_the_paragraphs_uncited_claims():
    # the real model's LoRA answer: one group of markers after the last sentence only
    text = ("LoRA adds a low-rank matrix to the frozen weights. The matrix is learned in training. "
            "Quality stays the same. [1][2][3]")
    first = {1: Score(1, dense=0.61, lexical=0.30, shared=3), 2: Score(2, dense=0.53, lexical=0.0, shared=0),
             3: Score(3, dense=0.57, lexical=0.1, shared=1)}
    second = {1: Score(1, dense=0.45, lexical=0.33, shared=3), 2: Score(2, dense=0.3, lexical=0.0, shared=0),
              3: Score(3, dense=0.44, lexical=0.2, shared=2)}
    last = {n: Score(n, dense=0.35, lexical=0.2, shared=1) for n in (1, 2, 3)}
    out = attribute_text(text, split_segments(text), {0: first, 1: second, 2: last})
    assert out.text.startswith("LoRA adds a low-rank matrix to the frozen weights [1]. The matrix is learned in "
                               "training. Quality")  # the second claim: embedding match too weak
    assert out.uncited == 1 and [(c.action, c.new) for c in out.changes] == [("added", 1)]
    # without the closing group the same scores support nothing (lexical share 0.30 < 0.40)
    bare = text.replace(" [1][2][3]", "")
    assert attribute_text(bare, split_segments(bare), {0: first, 1: second, 2: last}).text == bare


def test_a_copied_short_item_is_supported_by_words_even_with_a_weak_embedding():
    text = "7. Latency (p95 < 2s) [3]"  # the real model's list item citing the wrong source
    scores = {0: {2: Score(2, dense=0.23, lexical=1.0, shared=3), 3: Score(3, dense=0.12, lexical=0.0, shared=0)}}
    out = attribute_text(text, split_segments(text), scores)
    assert out.text == "7. Latency (p95 < 2s) [2]" and [(c.old, c.new) for c in out.changes] == [(3, 2)]
    scores[0][2] = Score(2, dense=0.15, lexical=1.0, shared=3)  # embedding says unrelated: not enough
    assert attribute_text(text, split_segments(text), scores).text == "7. Latency (p95 < 2s)"


def test_source_vectors_are_cached_between_answers():
    emb = TopicEmbedder()
    att = Attributor(emb)
    att.attribute("LoRA обучает low-rank адаптеры A и B.", SOURCES)
    att.attribute("KV cache хранит keys и values прошлых токенов.", SOURCES)
    assert len(emb.documents) == len(SOURCES) and len(emb.queries) == 2


# --- through the Tutor ---------------------------------------------------------------------------
def test_tutor_marks_checker_citations_as_matched_and_drops_the_no_source_note():
    hits = [hit(1, SOURCES[0].text), hit(2, SOURCES[1].text)]
    tutor = Tutor(FakeSearcher(hits), FakeLLM("LoRA обучает low-rank адаптеры A и B. KV cache хранит "
                                             "keys и values [2]."), SETTINGS, attributor=Attributor(TopicEmbedder()))
    ans = tutor.ask("Что такое LoRA?")
    assert ans.text == "LoRA обучает low-rank адаптеры A и B [1]. KV cache хранит keys и values [2]."
    assert [(c.n, c.origin) for c in ans.citations] == [(1, "matched"), (2, "model")]
    assert ans.citation_check == {"claims": 2, "uncited": 0, "added": 1, "moved": 0, "dropped": 0}
    assert "attribute_s" in ans.timings and "⚠" not in ans.text


def test_tutor_keeps_the_no_source_note_when_nothing_supports_the_answer():
    tutor = Tutor(FakeSearcher([hit(1, SOURCES[0].text)]), FakeLLM("Борщ варят со свёклой и капустой."),
                  SETTINGS, attributor=Attributor(TopicEmbedder()))
    ans = tutor.ask("Что такое LoRA?")
    assert ans.citation_check["uncited"] == 1 and "⚠" in ans.text
    assert [c.origin for c in ans.citations] == ["quoted"]  # the note quotes the source, the claim stays uncited
    assert ans.text.startswith("Борщ варят со свёклой и капустой.\n\n")


def test_stored_vectors_from_retrieval_are_used_instead_of_embedding():
    emb = TopicEmbedder()
    stored = {s.chunk_id: emb._vec(s.text) for s in SOURCES}
    out = Attributor(emb).attribute("LoRA обучает low-rank адаптеры A и B.", SOURCES, stored)
    assert out.text == "LoRA обучает low-rank адаптеры A и B [1]." and emb.documents == []


def test_tutor_passes_the_hits_stored_vectors_to_the_checker():
    emb = TopicEmbedder()
    hits = [hit(1, SOURCES[0].text).model_copy(update={"vector": emb._vec(SOURCES[0].text)})]
    tutor = Tutor(FakeSearcher(hits), FakeLLM("LoRA обучает low-rank адаптеры A и B."), SETTINGS,
                  attributor=Attributor(emb))
    assert tutor.ask("Что такое LoRA?").text.endswith("[1].") and emb.documents == []
    assert "vector" not in hits[0].model_dump()


def test_the_questions_own_terms_prove_nothing():
    """'DPO ... PPO' is in every sentence and source of a DPO-vs-PPO answer: only other words count."""
    claim = "Термометр: DPO использует термометр, а PPO использует reward модель."
    assert lexical(claim, SOURCES[2].text)[1] >= 2
    out = Attributor(TopicEmbedder()).attribute(claim, SOURCES, question="Чем DPO отличается от PPO?")
    assert out.text == claim and out.uncited == 1
    out = Attributor(TopicEmbedder()).attribute("DPO обходится без reward model и без PPO.", SOURCES,
                                                question="Чем DPO отличается от PPO?")
    assert out.text == "DPO обходится без reward model и без PPO [3]."


# --- the cross-lingual term bridge ---------------------------------------------------------------
TABLE = src(4, "DPO vs PPO\n| Criterion | PPO | DPO |\n| Training | Unstable, many hyperparams | Stable, simpler |\n"
               "| Memory | 4x model | 2x model |")


def test_a_translated_table_row_is_cited_through_the_bridge():
    """The model answers in Russian and translates the notes' English table: the words are the same
    terms in the other script, so the row supports the claim."""
    claim = "DPO обучается стабильнее и требует меньше памяти."
    out = Attributor(TopicEmbedder()).attribute(claim, [TABLE], question="Чем DPO отличается от PPO?")
    assert out.text == "DPO обучается стабильнее и требует меньше памяти [4]." and out.uncited == 0


def test_the_bridge_needs_words_that_are_the_same_term():
    claim = "DPO обучается быстрее и требует меньше видеокарт."  # no listed translation in the table
    out = Attributor(TopicEmbedder()).attribute(claim, [TABLE], question="Чем DPO отличается от PPO?")
    assert out.text == claim and out.uncited == 1


def test_the_bridge_can_be_switched_off():
    claim = "DPO обучается стабильнее и требует меньше памяти."
    out = Attributor(TopicEmbedder(), Thresholds(bridge=1.01)).attribute(claim, [TABLE], question="DPO?")
    assert out.text == claim and out.uncited == 1


def test_the_bridge_runs_only_for_claims_nothing_supports():
    emb = TopicEmbedder()
    Attributor(emb).attribute("LoRA обучает low-rank адаптеры A и B.", SOURCES)
    assert all(" " in t for t in emb.documents)  # sources embedded, no single words


def test_word_vectors_are_cached():
    emb = TopicEmbedder()
    words = TextVectors(emb)
    first = words(["memory", "памяти", "memory"])
    assert first.shape == (3, emb.dim) and float(first[0] @ first[1]) == 1.0
    words(["памяти", "stable"])
    assert emb.documents == ["memory", "памяти", "stable"]


def test_surface_words_candidates_and_pairs():
    assert surface_words("Stable, simpler; стабильнее и т.д.") == {
        "stabl": "stable", "simpler": "simpler", "стабильн": "стабильнее"}
    vec = np.eye(3, dtype=np.float32)
    pairs = pair_terms(["стабильн", "прощ"], vec[[0, 1]], ["stabl", "simpler", "стабильн"], vec[[0, 2, 0]], 0.7)
    assert pairs == {"стабильн": frozenset({"stabl"})}  # same script never pairs; 'прощ' has no match


def test_bridge_terms_embeds_only_words_that_need_a_translation():
    emb = TopicEmbedder()
    out = bridge_terms(["DPO стабильнее, DPO проще и требует памяти"], ["DPO: Stable, simpler | Memory | памяти"],
                       TextVectors(emb), 0.7, ignore=frozenset({"dpo"}))
    assert out == {"стабильн": frozenset({"stabl"})}  # the source holds 'памяти' itself
    assert sorted(emb.documents) == sorted(["стабильнее", "проще", "требует", "stable", "simpler", "memory"])


# --- sentence-level support for long sources ------------------------------------------------------
# a long interview chunk about many things: as a whole it embeds far from a claim about one of them
MIXED = src(1, "LoRA: low-rank адаптеры, LoRA адаптер дешевле полного fine-tuning, adapter lora. "
               "DPO без reward model и без PPO, награда неявная, DPO проще PPO. Борщ: свёкла, beet, борщ варят долго, свёкла даёт цвет борщу.\n"
               "KV cache хранит прошлые keys и values, поэтому декодирование быстрее.")
KV_CLAIM = "KV cache хранит keys и values прошлых токенов."


def test_passages_are_sentences_with_short_ones_joined_and_code_skipped():
    text = "Итоги:\nFlashAttention решает memory bottleneck через tiling, O(T) memory.\n```\ncode()\n```\nКоротко."
    assert passages(text) == ("Итоги: FlashAttention решает memory bottleneck через tiling, O(T) memory.",
                              "Коротко.")


def test_a_claim_about_one_part_of_a_long_source_is_cited_by_its_sentence():
    emb = TopicEmbedder()
    att = Attributor(emb)
    scores = att.score(split_segments(KV_CLAIM), [MIXED])[0][1]
    assert scores.dense < att.thresholds.dense and scores.lexical >= att.thresholds.lexical  # whole text: too far
    assert scores.passage >= att.thresholds.passage_dense
    assert att.attribute(KV_CLAIM, [MIXED]).text == KV_CLAIM[:-1] + " [1]."
    off = Attributor(TopicEmbedder(), Thresholds(passage_dense=1.01))
    assert off.attribute(KV_CLAIM, [MIXED]).text == KV_CLAIM  # switched off: the claim stays uncited


def test_only_sentences_sharing_terms_are_embedded_and_they_are_cached():
    emb = TopicEmbedder()
    att = Attributor(emb)
    att.attribute(KV_CLAIM, [MIXED])
    embedded = [d for d in emb.documents if d != MIXED.text and " " in d]  # not the bridge's single words
    assert embedded == ["KV cache хранит прошлые keys и values, поэтому декодирование быстрее."]
    att.attribute(KV_CLAIM, [MIXED])
    assert [d for d in emb.documents if d != MIXED.text and " " in d] == embedded  # the second answer embeds nothing new


def test_a_supported_claim_embeds_no_sentences():
    emb = TopicEmbedder()
    Attributor(emb).attribute("LoRA обучает low-rank адаптеры A и B.", SOURCES)
    assert emb.documents == [s.text for s in SOURCES]

