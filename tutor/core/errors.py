"""One small exception tree. Boundaries (CLI, UI) turn these into messages a person reads."""

from __future__ import annotations


class TutorError(Exception):
    """Base class. ``str(err)`` is a sentence for the user; ``hint`` says what to do next."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def user_message(self) -> str:
        return f"{self}" + (f"\n{self.hint}" if self.hint else "")


class ConfigError(TutorError):
    """Settings are invalid or inconsistent."""


class ModelError(TutorError):
    """A model file is missing, corrupt, or cannot be loaded."""


class DocumentError(TutorError):
    """A document cannot be read or parsed. Carries the path."""

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path


class StoreError(TutorError):
    """The vector store is unavailable or busy."""


class StoreBusyError(StoreError):
    """The embedded Qdrant store is locked by another process."""


class LLMError(TutorError):
    """The LLM server failed: down, timed out, or returned something unusable."""


class LLMUnavailableError(LLMError):
    """The server cannot be reached (connection refused, DNS, engine not started)."""


class LLMTimeoutError(LLMError):
    """The server did not answer in time."""


class LLMOutputError(LLMError):
    """The server answered but the output is invalid (bad JSON, schema mismatch) after repair."""

    def __init__(self, message: str, *, raw: str = "", attempts: int = 1, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.raw = raw
        self.attempts = attempts


class GradingError(TutorError):
    """A grade that cannot be computed (no rubric, the model failing): said, never stored as a 0."""


class InputError(TutorError):
    """User input is unusable (empty question, unknown question id, file too large...)."""


class NotFoundError(InputError):
    """A referenced item (question id, report, document) does not exist."""
