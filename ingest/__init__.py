"""Ingest: read documents, recover their structure, chunk, build the question bank, embed, store."""
