"""Normal forms and stable identifiers: text keys, chunk/bank ids, language, level and topic names.

Pure: no heavy imports. Every function is deterministic, so re-parsing an unchanged document gives
the same ids and an edit in one place changes only the ids of the chunks it touches.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

from tutor.core.types import Level
from tutor.text.words import normalise_text

NAMESPACE = uuid.UUID("6f1c3c2e-5a52-4a55-9d0e-7c1b1f0a2b11")

_LEVELS: dict[str, Level] = {"basic": "basic", "medium": "medium", "killer": "killer",
                             "базовый": "basic", "средний": "medium", "сложный": "killer"}

# Canonical topic <- patterns (first match wins; order matters: specific before general).
TOPIC_ALIASES: list[tuple[str, str]] = [
    ("RAG vs Fine-tuning", r"rag vs lora|выбор метода|rlhf vs fine-?tuning"),
    ("RAG Evaluation", r"ragas"),
    ("Agentic RAG", r"a-rag|agentic rag"),
    ("Advanced RAG", r"advanced rag|hyde|colbert|graphrag|rerank"),
    ("Semantic Caching", r"semantic cach|cache poisoning"),
    ("Model Compression", r"compression|distillation|pruning"),
    ("Tokenization", r"tokeni[sz]|токениз|\bbpe\b|wordpiece|sentencepiece"),
    ("Decoding Strategies", r"decoding strateg|temperature|top-?p\b|greedy"),
    ("Speculative Decoding", r"speculative"),
    ("Quantization", r"quantiz|квантиз|\bgptq\b|\bawq\b|gguf"),
    ("LoRA", r"\blora\b|qlora|adalora|\bdora\b"),
    ("Alignment", r"rlhf|\bdpo\b|\bppo\b|grpo|alignment|reward|\bsft\b"),
    ("Security", r"security|injection|безопасн"),
    ("Hallucination Detection", r"hallucinat|галлюцин"),
    ("Evaluation", r"evaluation|benchmark|llm-as-judge|chatbot arena"),
    ("Mixture of Experts", r"mixture of experts|\bmoe\b"),
    ("Reasoning Models", r"test-time|reasoning model|reasoning llm"),
    ("Model Merging", r"merging|task arithmetic|\bties\b|\bdare\b"),
    ("Multilingual LLMs", r"multilingual|cross-lingual"),
    ("Model Landscape", r"model landscape|2026 model"),
    ("Neuro-Symbolic AI", r"neuro-symbolic"),
    ("Observability", r"observability|tracing"),
    ("Diffusion LLMs", r"diffusion|llada"),
    ("Inference & Serving", r"prefill|continuous batching|serving|vllm|\bqps\b|chatgpt at scale"),
    ("Long Context & KV Cache", r"kv[- ]?cache|kv[- ]?кэш|память kv|long[- ]context|context window|"
                                r"pagedattention|\brope\b|rope-|sliding-window"),
    ("Training & Distributed", r"distributed|deepspeed|fsdp|параллелизм|gradient accumulation|"
                               r"mixed precision|оптимизатор|efficient training|^training$"),
    ("Attention", r"attention|\bmqa\b|\bgqa\b|\bmha\b"),
    ("Inference & Serving", r"production|inference"),
    ("RAG Pipeline", r"\brag\b|retriev|bm25|embedding|помнит"),
    ("Model Architecture", r"architecture|архитектур|rmsnorm|layernorm|decoder-only"),
    ("System Design", r"system design"),
    ("Training Data", r"данные|dedup|дедуп"),
]
_TOPIC_RES = [(name, re.compile(pat, re.IGNORECASE)) for name, pat in TOPIC_ALIASES]


def chunk_id(doc: str, kind: str, text: str) -> str:
    """uuid5 hex of doc + kind + normalised chunk text (header included, offsets excluded)."""
    return uuid.uuid5(NAMESPACE, f"{doc}\x1f{kind}\x1f{normalise_text(text)}").hex


def bank_id(question: str, topic: str) -> str:
    """Short stable id (12 hex) of the normalised question + topic."""
    return uuid.uuid5(NAMESPACE, f"q\x1f{normalise_text(topic)}\x1f{normalise_text(question)}").hex[:12]


def parse_level(title: str) -> Level | None:
    """'Basic' -> 'basic'; 'Killer — Should I...' -> 'killer'; anything else -> None."""
    head = re.split(r"\s*[—–:-]\s+|\s*¶", title.strip(), maxsplit=1)[0].strip().lower()
    return _LEVELS.get(head)


def strip_number(title: str) -> str:
    """'1. Tokenization' -> 'Tokenization'; 'Section 25: 2026 Model Landscape' -> '2026 Model Landscape'."""
    return re.sub(r"^(?:section\s+)?\d+[.):]\s*", "", title.strip(), flags=re.IGNORECASE)


@lru_cache(maxsize=4096)  # a document asks the same headings again for each of their sections
def match_topic(text: str) -> str:
    """Canonical topic named by ``text`` via the alias table, or '' if none matches."""
    for name, rx in _TOPIC_RES:
        if rx.search(text):
            return name
    return ""


def resolve_topic(candidates: list[str], fallback: str = "General") -> str:
    """First alias match among ``candidates`` (most authoritative first), else ``fallback``.
    ['1. Tokenization', 'Q: ...'] -> 'Tokenization'."""
    for text in candidates:
        if text and (name := match_topic(text)):
            return name
    return fallback
