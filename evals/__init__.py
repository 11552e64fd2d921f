"""Evals: golden sets, retrieval metrics, RAGAS-style answer metrics, grader calibration, reports."""
