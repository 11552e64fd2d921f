"""The one place adapters are built. Everything heavy is created lazily on first use, once, and
passed to the pure logic explicitly. Close with ``services.close()`` (or use as a context manager).

Each property imports its adapter module inside the property so that ``tutor --help`` and pure
unit tests never load torch, qdrant or the LLM engine.
"""

from __future__ import annotations

import contextlib
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tutor.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from tutor.ports import ChatLLM, Embedder


class Services:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._closers: list[Any] = []

    # --- embeddings & store --------------------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        from tutor.embedder import build_embedder

        return build_embedder(self.settings)

    @cached_property
    def store(self) -> Any:
        from tutor.store import open_store

        store = open_store(self.settings)
        self._closers.append(store.close)
        return store

    @cached_property
    def retriever(self) -> Any:
        from tutor.retrieval import Retriever

        return Retriever(self.store, self.embedder, self.settings)

    @cached_property
    def bank(self) -> Any:
        from ingest.bank import QuestionBank

        return QuestionBank.load(self.settings.bank_path)

    def forget_bank(self) -> None:
        """After an ingest rewrote the bank: the next use reloads it and its question index."""
        for name in ("bank", "question_index"):
            self.__dict__.pop(name, None)

    @cached_property
    def question_index(self) -> Any:
        """Bank questions and their alternates embedded on their own (tutor.grading.bank_index);
        cached beside the bank, rebuilt when a question or the embedder changes."""
        from tutor.grading.bank_index import QuestionIndex

        embedder = self.embedder
        key = f"{self.settings.embed_model}|{getattr(embedder, 'query_backend', '')}"
        return QuestionIndex.cached(self.bank.items, embedder.embed_query, self.settings.question_index_path, key)

    # --- LLM -----------------------------------------------------------------------------------
    @cached_property
    def llm_base_url(self) -> str:
        if self.settings.llm_base_url:
            return self.settings.llm_base_url
        from tutor.engine import EmbeddedEngine

        engine = EmbeddedEngine(self.settings)
        self._closers.append(engine.stop)
        return engine.start()

    @cached_property
    def llm(self) -> ChatLLM:
        from tutor.llm import LLMClient

        client = LLMClient.from_settings(self.settings, base_url=self.llm_base_url)
        self._closers.append(client.close)  # closed before the engine it talks to (LIFO)
        return client

    @cached_property
    def attributor(self) -> Any:
        """One citation checker per process: its source- and word-vector caches outlive a request."""
        from tutor.attribution import Attributor, Thresholds

        return Attributor(self.embedder, Thresholds(bridge=self.settings.citation_bridge,
                                                    passage_dense=self.settings.citation_passage))

    def tutor(self, searcher: Any = None) -> Any:
        """The answering pipeline every entry point uses (CLI, UI, evals): retrieval -> LLM ->
        citation checker. ``searcher`` overrides the retriever (e.g. a locked wrapper)."""
        from tutor.answering import Tutor

        return Tutor(searcher or self.retriever, self.llm, self.settings, attributor=self.attributor)

    # --- persistence ---------------------------------------------------------------------------
    @cached_property
    def attempts(self) -> Any:
        from tutor.attempts import AttemptStore

        store = AttemptStore(self.settings.sqlite_path)
        self._closers.append(store.close)
        return store

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            with contextlib.suppress(Exception):  # closing must not mask the real error
                closer()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
