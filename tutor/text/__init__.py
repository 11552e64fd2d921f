"""The one text layer: every primitive on text exists once, here, and everything calls it.

- ``language.detect_lang``: Russian or English.
- ``words``: the text key (``normalise_text``), words, the tokenizer + Snowball stemmer + stop-words
  (``terms``).
- ``numbers``: the number reader and which numbers a text could have taken from the notes.
- ``similarity.cosine`` / ``similarity.cosines``: cosine of two vectors / of every row pair.

Pure: no model, no I/O; it imports nothing else of the project but ``tutor.core.types``.
Still to merge here (issue 21): the sentence splitters of ``grading.checks``, ``answering.notes``,
``answering.crosscheck`` and ``llm.repetition``, which split differently and feed measured figures.
"""
