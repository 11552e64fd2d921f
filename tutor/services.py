"""The one place adapters are built. Everything heavy is created lazily on first use, once, and
passed to the pure logic explicitly. Close with ``services.close()`` (or use as a context manager).

Each property imports its adapter module inside the property so that ``tutor --help`` and pure
unit tests never load torch, qdrant or the LLM engine.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tutor.core.errors import TutorError
from tutor.core.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.ports import ChatLLM, Embedder


class Services:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._closers: list[Any] = []
        # the app warms up in a thread while a first request may arrive: one build of each adapter
        self._build = threading.RLock()

    def _once(self, name: str, build: Any) -> Any:
        """Build an adapter once even when two threads ask at the same time (the app's warm-up
        and a first request)."""
        with self._build:
            if name not in self.__dict__:
                self.__dict__[name] = build()
            return self.__dict__[name]

    # --- embeddings & store --------------------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return self._once("embedder", self._embedder)

    def _embedder(self) -> Embedder:
        from tutor.models.embedder import build_embedder

        return build_embedder(self.settings)

    @cached_property
    def store(self) -> Any:
        return self._once("store", self._store)

    def _store(self) -> Any:
        from tutor.retrieval.store import open_store

        store = open_store(self.settings)
        self._closers.append(store.close)
        return store

    @cached_property
    def sparse(self) -> Any:
        """The BM25 sparse encoder: ingest encodes documents and the retriever queries with this one."""
        from tutor.retrieval.sparse import SparseEncoder

        return SparseEncoder()

    @cached_property
    def retriever(self) -> Any:
        from tutor.retrieval.retriever import Retriever

        return Retriever(self.store, self.embedder, self.settings, sparse=self.sparse)

    @cached_property
    def bank(self) -> Any:
        from tutor.core.bank import QuestionBank

        return QuestionBank.load(self.settings.bank_path)

    def with_rubrics(self, items: list[Any]) -> list[Any]:
        """Each bank item with its rubric: the user's, the reviewed, else the notes' structure."""
        from tutor.grading.rubric import with_rubrics

        return with_rubrics(items, self.settings.user_rubrics_path)

    def forget_bank(self) -> None:
        """After an ingest rewrote the bank: the next use reloads it and its question index."""
        for name in ("bank", "question_index"):
            self.__dict__.pop(name, None)

    @cached_property
    def question_index(self) -> Any:
        """Bank questions and their alternates embedded on their own (tutor.retrieval.bank_index);
        cached beside the bank, rebuilt when a question or the embedder changes."""
        return self._once("question_index", self._question_index)

    def _question_index(self) -> Any:
        from tutor.retrieval.bank_index import QuestionIndex

        embedder = self.embedder
        key = f"{self.settings.embed_model}|{getattr(embedder, 'query_backend', '')}"
        return QuestionIndex.cached(self.bank.items, embedder.embed_query, self.settings.question_index_path, key)

    # --- LLM -----------------------------------------------------------------------------------
    @cached_property
    def llm_base_url(self) -> str:
        return self._once("llm_base_url", self._llm_base_url)

    def _llm_base_url(self) -> str:
        if self.settings.llm_base_url:
            return self.settings.llm_base_url
        from tutor.llm.engine import EmbeddedEngine

        engine = EmbeddedEngine(self.settings)
        self._closers.append(engine.stop)
        return engine.start()

    @cached_property
    def llm(self) -> ChatLLM:
        return self._once("llm", self._llm)

    def _llm(self) -> ChatLLM:
        from tutor.llm.client import LLMClient

        client = LLMClient.from_settings(self.settings, base_url=self.llm_base_url)
        self._closers.append(client.close)  # closed before the engine it talks to (LIFO)
        return client

    def match_bank(self, question: str) -> Any:
        """The closest bank item to a typed question (``bank_index.Match``, whatever its score) or
        None when there is no bank; the caller decides whether the score is a match."""
        try:
            index = self.question_index
        except (OSError, ValueError, TutorError):  # no bank yet: answers come from the sources
            return None
        top = index.nearest(self.embedder.embed_query(question), 1)
        return top[0] if top else None

    def tutor(self, searcher: Any = None) -> Any:
        """The answering pipeline every entry point uses (CLI, UI, evals): bank match + retrieval ->
        the notes' text -> the model's explanation, checked. ``searcher`` overrides the retriever
        (e.g. a locked wrapper)."""
        from tutor.answering.answer import Tutor

        return Tutor(searcher or self.retriever, self.llm, self.settings, match=self.match_bank,
                     chunks=self.store.get, embedder=self.embedder)

    def grader(self, *, llm_follow_up: bool = True) -> Any:
        """The grader every entry point uses; the bank, its question index and the retriever are
        optional (not ingested yet, store busy): it then grades against what it has."""
        from tutor.grading.grader import Grader

        bank = _optional(lambda: self.bank)
        searcher = _optional(lambda: self.retriever)
        index = _optional(lambda: self.question_index) if bank is not None else None
        return Grader(self.llm, embedder=self.embedder, searcher=searcher, bank=bank, index=index,
                      max_answer_chars=self.settings.max_answer_chars, llm_follow_up=llm_follow_up)

    def warm(self) -> None:
        """Load what the first question needs (embedder, both its query and document paths: a follow-up
        ranks sentences by meaning; store and one search, which builds the embedded store's sparse
        posting lists, bank index, the LLM engine with one 1-token completion) so it does not pay their
        start-up. Errors propagate."""
        self.embedder.embed_query("warm up")
        self.embedder.embed_documents(["warm up"])
        if self.store.exists():
            self.retriever.search("warm up", k=1)
        self.match_bank("warm up")
        self.llm.complete([{"role": "user", "content": "hi"}], purpose="warm", max_tokens=1)

    # --- persistence ---------------------------------------------------------------------------
    @cached_property
    def attempts(self) -> Any:
        from tutor.practice.attempts import AttemptStore

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


def _optional(build: Any) -> Any:
    """A piece a component can do without (no bank built, store busy or not ingested) -> None."""
    try:
        return build()
    except TutorError:
        return None
