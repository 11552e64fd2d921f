"""The one text layer: every primitive on text exists once, here, and everything calls it.

- ``language.detect_lang``: Russian or English.
- ``words``: normalising, words, the tokenizer + Snowball stemmer + stop-words (``terms``), content words.
- ``similarity.cosine`` / ``similarity.cosines``: cosine of two vectors / of every row pair.

Pure: no model, no I/O; ``tutor.text`` imports nothing else of the project but ``tutor.types``.
"""
