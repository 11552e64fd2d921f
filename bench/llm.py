"""Benchmark the LLM on a typical tutor request: a question + ~1,500 tokens of notes as context.

    .venv/bin/python bench/llm.py                      # starts the embedded engine
    .venv/bin/python bench/llm.py --base-url http://127.0.0.1:8088/v1

Prints time to first token, prompt tok/s, decode tok/s (client-side, and the server's own figures
when it reports them, as llama.cpp does). Run 1 sees a fresh prompt; run 2 repeats the same context
with another question, so it shows what the prompt cache saves on a follow-up.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.core.settings import Settings  # noqa: E402
from tutor.llm.budget import truncate  # noqa: E402
from tutor.llm.client import LLMClient  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "llm-engineering-interview-questions.txt"
QUESTIONS = ["Что такое KV-cache и почему он ускоряет декодирование? Ответь кратко со ссылками [n].",
             "А какие у него минусы по памяти? Ответь кратко со ссылками [n]."]


def build_context(llm: LLMClient, tokens: int) -> str:
    text = CORPUS.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 200]
    blocks = "\n\n".join(f"[{i + 1}] {p}" for i, p in enumerate(paragraphs[:60]))
    return truncate(blocks, tokens, llm.count_tokens)


def run(llm: LLMClient, context: str, question: str, max_tokens: int, nonce: str) -> dict[str, object]:
    messages = [
        {"role": "system", "content": f"session {nonce}. Ты — репетитор по LLM-инженерии. Отвечай только по "
                                      "источникам ниже и ставь ссылки [n]."},
        {"role": "user", "content": f"Источники:\n{context}\n\nВопрос: {question}"},
    ]
    t0 = time.perf_counter()
    n = sum(1 for _ in llm.stream(messages, purpose="bench", max_tokens=max_tokens))
    wall = time.perf_counter() - t0
    st = llm.last
    assert st is not None and st.ttft_s is not None
    decode_s = max(1e-6, wall - st.ttft_s)
    return {"prompt_tokens": st.prompt_tokens, "completion_tokens": st.completion_tokens, "deltas": n,
            "ttft_s": round(st.ttft_s, 2), "total_s": round(wall, 2),
            "prompt_tok_s_client": round(st.prompt_tokens / st.ttft_s, 1),
            "decode_tok_s_client": round(max(0, st.completion_tokens - 1) / decode_s, 1),
            "prompt_tok_s_server": st.prompt_per_s and round(st.prompt_per_s, 1),
            "decode_tok_s_server": st.decode_per_s and round(st.decode_per_s, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", default="", help="OpenAI-compatible server; default: start the embedded engine")
    ap.add_argument("--context-tokens", type=int, default=1500)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    settings = Settings()
    engine = None
    t0 = time.perf_counter()
    base_url = args.base_url or settings.llm_base_url
    if not base_url:
        from tutor.llm.engine import EmbeddedEngine

        engine = EmbeddedEngine(settings)
        base_url = engine.start()
    startup = time.perf_counter() - t0
    llm = LLMClient.from_settings(settings.model_copy(update={"llm_timeout": 1800.0}), base_url=base_url)
    try:
        context = build_context(llm, args.context_tokens)
        context_tokens = llm.count_tokens(context)
        nonce = uuid.uuid4().hex[:8]
        results = []
        for q in QUESTIONS:
            results.append(run(llm, context, q, args.max_tokens, nonce))
            print(json.dumps(results[-1]), flush=True)
    finally:
        llm.close()
        if engine:
            engine.stop()
    report = {"server": "embedded" if engine else base_url, "engine_start_s": round(startup, 1),
              "threads": settings.llm_threads, "load_avg_1m": round(os.getloadavg()[0], 1),
              "context_tokens": context_tokens, "fresh": results[0], "follow_up_cached": results[1]}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    f = results[0]
    print(f"\nTTFT {f['ttft_s']} s for {f['prompt_tokens']} prompt tokens; prompt {f['prompt_tok_s_client']} tok/s, "
          f"decode {f['decode_tok_s_client']} tok/s (client side); follow-up TTFT {results[1]['ttft_s']} s "
          f"with the prompt cache.")


if __name__ == "__main__":
    main()
