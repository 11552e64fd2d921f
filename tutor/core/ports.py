"""The adapter ports the pure logic talks to. Real adapters: ``tutor.models.embedder``,
``tutor.retrieval.retriever``, ``tutor.llm.client``; ingest writes through ``VectorStore``
(``tutor.retrieval.store``) and ``SparseEncoding`` (``tutor.retrieval.sparse``); deterministic fakes for
unit tests: ``tests/fakes.py``."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from tutor.core.types import Chunk, Filters, Hit, Mode

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class Embedder(Protocol):
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-normalised document vectors (EmbeddingGemma 'document' prompt)."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Unit-normalised query vector (EmbeddingGemma 'query' prompt)."""
        ...


class SparseEncoding(Protocol):
    def encode_document(self, text: str) -> Any:
        """The document side of the sparse (BM25) vector; the query side must match it."""
        ...


class VectorStore(Protocol):
    """What ingest needs of the store: the manifest to diff against, writes, and the alias switch."""

    alias: str

    def exists(self) -> bool: ...

    def create_collection(self, dim: int) -> str: ...

    def switch_alias(self, collection: str) -> str | None: ...

    def ensure(self, dim: int) -> str: ...

    def upsert(self, chunks: Sequence[Chunk], dense: Sequence[Sequence[float]], sparse: Sequence[Any], *,
               doc_sha: dict[str, str], collection: str | None = None) -> int: ...

    def refresh_payload(self, chunks: Sequence[Chunk], *, doc_sha: dict[str, str],
                        collection: str | None = None) -> int: ...

    def delete(self, chunk_ids: Iterable[str], *, collection: str | None = None) -> int: ...

    def manifest(self) -> dict[str, tuple[str, set[str]]]: ...

    def count(self) -> int: ...


class Searcher(Protocol):
    def search(self, query: str, *, k: int = 5, mode: Mode = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        ...


class ChatLLM(Protocol):
    model: str
    context_window: int

    def complete(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
                 temperature: float = 0.0) -> str:
        """Whole completion text. Raises tutor.core.errors.LLMError subclasses."""
        ...

    def stream(self, messages: list[Message], *, purpose: str, max_tokens: int = 512,
               temperature: float = 0.0) -> Generator[str, None, None]:
        """Yields text deltas as the server produces them; closing it early stops the generation."""
        ...

    def structured(self, messages: list[Message], schema: type[T], *, purpose: str,
                   max_tokens: int = 1024, temperature: float = 0.0) -> T:
        """JSON-schema constrained output (``response_format``), validated by pydantic,
        one repair retry on invalid JSON, then LLMOutputError."""
        ...

    def choose(self, messages: list[Message], options: Sequence[str], *, purpose: str) -> dict[str, float]:
        """Probability of each one-token option as the first reply token (greedy, from the server's
        log-probabilities), renormalised over ``options``. Raises LLMOutputError without them."""
        ...

    def count_tokens(self, text: str) -> int:
        ...
