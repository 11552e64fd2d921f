"""The Qdrant store, hybrid search (dense + BM25 sparse), the question bank and its question index, citations."""
