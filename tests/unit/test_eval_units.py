"""Unit tests for the eval pipeline with deterministic fakes (judge steps, runners, reports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.answer_eval import EvalCase, embedding_metrics, llm_metrics
from evals.golden import GoldenItem, Paraphrase, bank_hash, build_golden, load_golden, write_jsonl
from evals.judge import Judge
from evals.report import Report, compute_delta, list_reports, summary_html, write_report
from evals.results import SuiteResult
from evals.run_grading import LabelledAnswer, run_grading
from evals.run_retrieval import run_retrieval
from evals.thresholds import check_thresholds
from tests.fakes import FakeEmbedder, FakeLLM
from tutor.core.types import BankItem, Chunk, Hit


def _reply_by_purpose(messages: list[dict[str, str]]) -> str:
    user = messages[-1]["content"]
    if "short standalone factual claims" in user:
        if "REFERENCE" in user or "Трансформер" in user:
            return json.dumps({"claims": ["r1", "r2"]})
        return json.dumps({"claims": ["c1", "c2", "c3"]})
    if "directly inferred" in user:
        return json.dumps({"verdicts": [1, 1, 0]})
    if "attributed to the CONTEXT" in user:
        return json.dumps({"verdicts": [1, 0]})
    if "useful to arrive" in user:
        return json.dumps({"verdicts": [1, 0, 1]})
    if "different questions" in user:
        return json.dumps({"questions": ["what is attention?"] * 3, "noncommittal": 0})
    if "answer_verdicts" in user:
        return json.dumps({"answer_verdicts": [1, 1, 0], "reference_verdicts": [1, 0]})
    raise AssertionError(f"unexpected prompt: {user[:200]}")


def _case(answer: str = "Attention mixes tokens.") -> EvalCase:
    return EvalCase(question="what is attention?", answer=answer,
                    contexts=["ctx one", "ctx two", "ctx three"], context_ids=["a", "b", "c"],
                    reference="Трансформер uses attention.", gold_ids=["a", "c"])


def test_llm_metrics_follow_ragas_ratios():
    llm = FakeLLM(_reply_by_purpose)
    emb = FakeEmbedder()
    s = llm_metrics(_case(), Judge(llm), emb)
    assert s["faithfulness"].value == pytest.approx(2 / 3)
    assert s["context_recall"].value == pytest.approx(0.5)
    assert s["context_precision"].value == pytest.approx((1 + 2 / 3) / 2)
    assert s["answer_relevancy"].value == pytest.approx(1.0)  # same text as the question
    # TP=2, FP=1, FN=1 -> F1 = 2/3; 0.75 * F1 + 0.25 * cosine(answer, reference)
    a, r = emb.embed_documents([_case().answer, _case().reference])
    from evals.metrics.answers import cosine
    assert s["answer_correctness"].value == pytest.approx(0.75 * 2 / 3 + 0.25 * max(0.0, cosine(a, r)))
    purposes = [p for p, _ in llm.calls]
    assert purposes.count("eval.claims") == 2
    # user text is delimited as data in every judge prompt
    assert all("<<<" in m[-1]["content"] for _, m in llm.calls)


def test_empty_answer_gets_no_free_scores():
    llm = FakeLLM(_reply_by_purpose)
    s = llm_metrics(_case(answer="   "), Judge(llm), FakeEmbedder())
    assert s["faithfulness"].value is None and s["faithfulness"].reason == "empty answer"
    assert s["answer_relevancy"].value == 0.0
    assert s["answer_correctness"].value is None
    assert llm.calls == []


def test_no_claims_gives_none_with_reason():
    def reply(messages: list[dict[str, str]]) -> str:
        if "short standalone factual claims" in messages[-1]["content"]:
            return json.dumps({"claims": []})
        return _reply_by_purpose(messages)
    s = llm_metrics(_case(), Judge(FakeLLM(reply)), FakeEmbedder())
    assert s["faithfulness"].value is None and "no claims" in s["faithfulness"].reason
    assert s["context_recall"].value is None
    assert s["answer_correctness"].value is None


def test_judge_failure_is_reported_not_scored():
    s = llm_metrics(_case(), Judge(FakeLLM("not json")), FakeEmbedder())
    assert all(v.value is None and "judge failed" in v.reason for v in s.values())


def test_verdict_count_is_enforced():
    def reply(messages: list[dict[str, str]]) -> str:
        if "directly inferred" in messages[-1]["content"]:
            return json.dumps({"verdicts": [1]})  # 1 verdict for 3 claims
        return _reply_by_purpose(messages)
    s = llm_metrics(_case(), Judge(FakeLLM(reply)), FakeEmbedder(), metrics=("faithfulness",))
    assert s["faithfulness"].value is None


def test_embedding_metrics_gold_ids():
    s = embedding_metrics(_case(), FakeEmbedder())
    assert s["context_precision_gold"].value == pytest.approx((1 + 2 / 3) / 2)
    assert s["context_recall_gold"].value == 1.0
    assert 0 < s["answer_context_similarity"].value <= 1  # type: ignore[operator]
    empty = embedding_metrics(_case(answer=""), FakeEmbedder())
    assert empty["answer_reference_similarity"].value is None


def test_golden_from_bank_roundtrip(tmp_path: Path):
    items = [BankItem(id=f"q{i}", topic=t, question=f"Q{i}?", reference_answer="ref" if i != 3 else "",
                      source_chunk_ids=[f"c{i}"]) for i, t in enumerate(["A", "A", "B", "B", "C"])]
    golden = build_golden(items)
    assert [g.id for g in golden] == ["q0", "q2", "q4", "q1"]  # q3 has no reference; topics interleaved
    assert all(g.bank_hash == bank_hash(items) for g in golden)
    write_jsonl(golden, tmp_path / "g.jsonl")
    assert load_golden(tmp_path / "g.jsonl") == golden
    items[0].reference_answer = "changed"
    assert bank_hash(items) != golden[0].bank_hash


class _Searcher:
    def search(self, query: str, *, k: int = 5, mode: str = "hybrid", filters: Any = None) -> list[Hit]:
        texts = {"dense": ["KV cache stores keys", "x"], "sparse": ["x", "y"], "hybrid": ["x", "the KV cache"]}
        return [Hit(chunk=Chunk(chunk_id=f"{mode}{i}", doc="d", text=t), score=1.0)
                for i, t in enumerate(texts[mode][:k])]


def test_run_retrieval_per_mode():
    res = run_retrieval(_Searcher(), [Paraphrase(id="p1", q="kv?", fact="KV cache")],
                        [GoldenItem(id="g", question="q", reference_answer="r", gold_chunk_ids=["hybrid0"])],
                        k=5)
    m = res.metrics
    assert m["retrieval.paraphrase.dense.hit@5"] == 1.0 and m["retrieval.paraphrase.dense.mrr@5"] == 1.0
    assert m["retrieval.paraphrase.sparse.hit@5"] == 0.0
    assert m["retrieval.paraphrase.hybrid.mrr@5"] == 0.5
    assert m["retrieval.golden.hybrid.ndcg@5"] == 1.0 and m["retrieval.golden.dense.hit@5"] == 0.0


class _Grade:
    def __init__(self, score: float, flags: list[str]) -> None:
        self.score, self.flags, self.question_id, self.match_score, self.points = score, flags, "", None, []


class _Grader:
    """Scores by words in the answer; q2's partial answer outscores its strong one."""

    def grade(self, question: str, answer: str, *, item: Any = None, context: Any = None) -> _Grade:
        if not answer.strip():
            return _Grade(0.0, ["empty"])
        if "boom" in answer:
            raise RuntimeError("model down")
        base = {"good": 9.0, "half": 5.0, "bad": 1.0, "terms": 6.0}[answer.split()[0]]
        if question == "q2" and answer == "half":
            base = 9.5
        return _Grade(base, ["term_list"] if answer == "terms" else [])


def test_run_grading_protocol_figures_per_split():
    rows = [LabelledAnswer(id=f"{q}{lab}", question_id=q, question=q, answer=ans, label=lab, split=split,
                           style="casual" if lab == "strong" else lab)
            for q, split in (("q1", "tune"), ("q2", "test"))
            for lab, ans in (("strong", "good"), ("partial", "half"), ("wrong", "bad"), ("terms", "terms"),
                             ("empty", " "))]
    rows.append(LabelledAnswer(id="q2x", question_id="q2", question="q2", answer="boom", label="wrong", split="test"))
    res = run_grading(_Grader(), rows, repeats=2)
    m = res.metrics
    assert m["grading.tune.pair_order"] == 1.0 and m["grading.test.pair_order"] == pytest.approx(2 / 3)
    assert m["grading.tune.strong_ge7"] == 1.0 and m["grading.tune.wrong_le3"] == 1.0
    assert m["grading.tune.terms_le5"] == 0.0 and m["grading.tune.empty_le0"] == 1.0
    assert m["grading.tune.rule.term_list.fired"] == 1 and m["grading.tune.rule.term_list.on_strong"] == 0
    assert m["grading.test.failed"] == 1 and res.counts["grading.failed"] == 1
    assert m["grading.repeat_identical"] == 1.0
    assert m["grading.tune.style.strong/casual"] == 9.0


def test_delta_flags_regressions_only_on_quality():
    d = {x.name: x for x in compute_delta({"a.hit@5": 0.7, "a.latency_s": 3.0, "g.repeat_stdev": 1.0},
                                          {"a.hit@5": 0.8, "a.latency_s": 1.0, "g.repeat_stdev": 0.5})}
    assert d["a.hit@5"].regression and d["a.hit@5"].change == pytest.approx(-0.1)
    assert not d["a.latency_s"].regression
    assert d["g.repeat_stdev"].regression


def test_delta_knows_which_way_each_grading_and_answer_figure_should_move():
    from evals.report import direction

    now = {"grading.test.mean.wrong": 1.8, "grading.test.style.wrong/wrong_numbers": 1.9,
           "grading.test.strong_ge7": 0.84, "grading.test.median_seconds": 11.4,
           "grading.test.rule.unverified_numbers.fired": 31.0, "answers.test.contradicted": 0.2}
    before = {"grading.test.mean.wrong": 3.0, "grading.test.style.wrong/wrong_numbers": 5.1,
              "grading.test.strong_ge7": 0.85, "grading.test.median_seconds": 12.4,
              "grading.test.rule.unverified_numbers.fired": 0.0, "answers.test.contradicted": 0.1}
    flagged = {x.name for x in compute_delta(now, before) if x.regression}
    assert flagged == {"answers.test.contradicted"}  # strong_ge7 fell 0.01: within the tolerance
    assert direction("grading.test.pair_order") == 1 and direction("answers.test.failed") == -1
    assert direction("grading.test.mean.partial") == 0 and direction("answers.test.notes_p50") == 0


def test_report_html_escapes_and_lists(tmp_path: Path):
    res = SuiteResult(suite="answers", metrics={"<script>x</script>": 0.5}, notes=["<b>note</b>"])
    rep = Report(id="20260101-000000", path=tmp_path / "20260101-000000", created="t", suite="answers",
                 metrics=res.metrics, suites=[res], failures=["bad & worse"])
    write_report(rep)
    page = summary_html(rep)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;note" in page
    assert "bad &amp; worse" in page
    listed = list_reports(tmp_path)
    assert [s.id for s in listed] == ["20260101-000000"] and listed[0].metrics["<script>x</script>"] == 0.5


def test_thresholds():
    th = {"min": {"a": 0.6, "missing": 0.1}, "max": {"t_s": 10.0}}
    fails = check_thresholds({"a": 0.5, "t_s": 12.0}, th)
    assert any("a = 0.500 is below" in f for f in fails)
    assert any("missing was not measured" in f for f in fails)
    assert any("above the maximum" in f for f in fails)
    assert check_thresholds({"a": 0.7, "missing": 0.2, "t_s": 1.0}, th) == []


def test_run_suite_retrieval_writes_report_and_delta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from evals import api
    from evals import golden as gd
    from tutor.core.settings import Settings

    para = tmp_path / "p.jsonl"
    write_jsonl([Paraphrase(id="p1", q="kv?", fact="KV cache")], para)
    items = [BankItem(id="g", topic="T", question="q", reference_answer="r", source_chunk_ids=["hybrid0"])]
    gold = tmp_path / "g.jsonl"
    write_jsonl(build_golden(items), gold)
    monkeypatch.setattr(gd, "PARAPHRASE_PATH", para)
    monkeypatch.setattr(gd, "GOLDEN_PATH", gold)

    class _Services:
        settings = Settings(data_dir=tmp_path)
        retriever = _Searcher()
        bank = items

    seen: list[tuple[str, int, int]] = []
    first = api.run_suite(_Services(), "retrieval", progress_cb=lambda *a: seen.append(a),
                          reports_dir=tmp_path / "reports")
    assert first.metrics["retrieval.paraphrase.dense.hit@5"] == 1.0
    assert seen[-1] == ("retrieval", 6, 6)
    assert {"report.json", "summary.md", "summary.html", "retrieval_paraphrase.png"} <= \
        {p.name for p in first.path.iterdir()}
    second = api.run_suite(_Services(), "retrieval", reports_dir=tmp_path / "reports")
    assert second.previous_id == first.id
    assert all(not d.regression for d in second.delta)
    assert [s.id for s in api.list_reports(tmp_path / "reports")] == [second.id, first.id]


def test_answers_sample_defaults_to_a_topic_spread_and_zero_means_all() -> None:
    from evals import api

    assert api.answers_sample(None, None) == api.ANSWERS_SAMPLE
    assert api.answers_sample(5, None) == 5
    assert api.answers_sample(5, 3) == 3
    assert api.answers_sample(None, 0) is None


def test_golden_file_is_interleaved_by_topic() -> None:
    """The default answers sample relies on the first items covering different topics."""
    from evals import api
    from evals import golden as gd

    first = gd.load_golden()[: api.ANSWERS_SAMPLE]
    assert len({g.topic for g in first}) == len(first)


def test_answer_protocol_figures_count_facts_bank_hits_honesty_and_hand_labels() -> None:
    from evals.run_answer_set import AnswerQuestion, ClaimLabel, figures, found_facts

    q = AnswerQuestion(id="a1", question="BPE vs WordPiece?", kind="comparison",
                       fact_terms=[["частые пары", "frequent pair"], ["BERT"]], bank_id="b1")
    assert found_facts(q, "WordPiece в BERT; BPE сливает Frequent pairs") == [True, True]
    assert found_facts(q, "WordPiece в Bert") == [False, True]
    rows = [
        {"id": "a1", "kind": "comparison", "want_bank": "b1", "bank_id": "b1", "notes_origin": "bank",
         "covered": True, "facts": [True, True], "removed": [{"check": "numbers"}], "notes_s": 0.1, "total_s": 9.0,
         "explanation": "S1 is it. S2 is it. S4 new."},
        {"id": "a2", "kind": "why", "want_bank": "b2", "bank_id": "", "notes_origin": "extract",
         "covered": True, "facts": [True, False], "removed": [], "notes_s": 0.3, "total_s": 11.0},
        {"id": "o1", "kind": "out_of_scope", "want_bank": "", "bank_id": "", "notes_origin": "",
         "covered": False, "facts": [], "removed": [], "notes_s": 0.05, "total_s": 0.05},
        {"id": "x", "kind": "why", "error": "boom"},
    ]
    labels = [ClaimLabel(id="a1", part="explanation", sentence="S1 is it.", label="supported"),
              ClaimLabel(id="a1", part="explanation", sentence="S2 is it.", label="contradicted"),
              ClaimLabel(id="a1", part="explanation", sentence="an older answer's sentence", label="contradicted"),
              ClaimLabel(id="zz", part="explanation", sentence="s3", label="contradicted")]
    f = figures(rows, labels)
    assert f["facts_all"] == 0.5 and f["facts_share"] == 0.75 and f["bank_right"] == 0.5
    assert f["oos_honest"] == 1.0 and f["removed.numbers"] == 1 and f["failed"] == 1
    assert f["notes_max"] == 0.3 and f["total_p50"] == 10.0
    assert f["claims"] == 2 and f["contradicted"] == 0.5 and f["contradicted_cited"] == 0
    assert f["unlabelled"] == 1  # "S4 new." has no hand label yet


def test_judge_agreement_compares_the_judge_with_hand_labels() -> None:
    from evals.results import SuiteResult
    from evals.run_answer_set import ClaimLabel, judge_agreement

    class Judge:
        def supported(self, claims, contexts):
            assert contexts == ["notes text", "chunk"]
            return [1, 0, 1]

    result = SuiteResult(suite="answers", rows=[{"id": "a1", "split": "test", "notes": "notes text",
                                                 "citation_texts": ["chunk"]}])
    labels = [ClaimLabel(id="a1", part="explanation", sentence=s, label=lab)
              for s, lab in (("s1", "supported"), ("s2", "contradicted"), ("s3", "not_in_notes"))]
    judge_agreement(Judge(), result, labels)
    m = result.metrics
    assert m["answers.test.judge.claims"] == 3 and m["answers.test.judge.hand_supported"] == 1 / 3
    assert m["answers.test.judge.unsupported_precision"] == 1.0 and m["answers.test.judge.unsupported_recall"] == 0.5
    assert m["answers.test.judge.contradicted_recall"] == 1.0


def test_stored_answers_are_rescored_with_hand_labels_and_removed_sentences_count_apart() -> None:
    from evals.run_answer_set import ClaimLabel, label_items, rescore

    rows = [{"id": "a1", "split": "test", "kind": "why", "question": "Q?", "want_bank": "", "bank_id": "",
             "notes_origin": "extract", "covered": True, "facts": [True], "notes": "N.", "citation_texts": ["C."],
             "explanation": "One. Two.", "removed": [{"sentence": "Three 5.", "check": "numbers"}],
             "notes_s": 0.1, "total_s": 5.0}]
    assert label_items(rows) == [{"id": "a1", "question": "Q?", "notes": ["N.", "C."],
                                  "sentences": ["One.", "Two.", "Three 5."]}]
    labels = [ClaimLabel(id="a1", part="explanation", sentence="One.", label="supported"),
              ClaimLabel(id="a1", part="explanation", sentence="Two.", label="contradicted"),
              ClaimLabel(id="a1", part="explanation", sentence="Three 5.", label="supported")]
    m = rescore(rows, labels).metrics
    assert m["answers.test.claims"] == 2 and m["answers.test.contradicted"] == 0.5
    assert m["answers.test.removed.numbers.on_supported"] == 1  # the check removed a correct sentence


def test_ask_rows_passes_the_previous_answer_to_a_follow_up_and_keeps_a_failure_as_a_row() -> None:
    from evals.run_answer_set import AnswerQuestion, ask_rows
    from tutor.core.types import Answer

    seen = []

    class Tutor:
        def ask(self, question, history, style=""):
            seen.append((question, [t.content for t in history], style))
            if question == "boom?":
                raise RuntimeError("server down")
            return Answer(question=question, text=f"notes: {question.replace('LoRA', 'it')}\nmodel: about {question}",
                          notes=f"notes: {question.replace('LoRA', 'it')}", notes_origin="bank", bank_id="b1")

    rows = [AnswerQuestion(id="q1", question="LoRA?", fact_terms=[["lora"]], bank_id="b1"),
            AnswerQuestion(id="q2", question="and why?", conversation="q1", fact_terms=[["nope"]]),
            AnswerQuestion(id="q3", question="boom?")]
    ticks = []
    out = ask_rows(Tutor(), rows, progress=lambda: ticks.append(1))
    # every question asks for the explanation; the facts of the default answer are the notes' alone
    assert seen[1] == ("and why?", ["LoRA?", "notes: it?\nmodel: about LoRA?"], "explain") and len(ticks) == 3
    assert out[0]["facts"] == [False] and out[0]["facts_explained"] == [True] and out[0]["bank_id"] == "b1"
    assert out[1]["facts"] == [False] and out[1]["facts_explained"] == [False]
    assert out[2] == {"id": "q3", "split": "test", "kind": "", "question": "boom?", "want_bank": "",
                      "error": "RuntimeError: server down"}
