"""Rubric grading: the LLM judges each key point, Python computes the score (see docs/grading.md)."""
