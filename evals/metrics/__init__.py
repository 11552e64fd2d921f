"""Pure metric formulas (no heavy imports): retrieval ranking, RAGAS-style ratios, statistics."""
