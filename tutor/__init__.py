"""Interview tutor: a self-hosted RAG tutor for LLM-engineering interviews."""

__version__ = "0.1.0"
