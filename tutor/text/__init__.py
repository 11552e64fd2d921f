"""The one text layer: every primitive on text exists once, here, and everything calls it.

- ``language.detect_lang``: Russian or English.
- ``words``: the text key (``normalise_text``), words, the tokenizer + Snowball stemmer + stop-words
  (``terms``).
- ``sentences``: the one sentence splitter (notes, explanations, answers; ``semicolons=True`` for answers).
- ``numbers``: the number reader and which numbers a text could have taken from the notes.
- ``markdown``: Markdown table lines and list bullets (``is_row``, ``is_rule``, ``is_bullet``, ``unbullet``).
- ``labels``: the notes' labels of a wrong claim (misconception, weak answer, red flags).
- ``similarity.cosine`` / ``similarity.cosines``: cosine of two vectors / of every row pair.

Pure: no model, no I/O; it imports nothing else of the project but ``tutor.core.types``.
Other jobs that look alike stay with their owner: chunk boundaries (``ingest.chunking``, they make the
chunk ids), the last finished sentence of a streamed reply (``answering.answer.complete_sentences``)
and the sentence spans of a stream checked for loops (``llm.repetition``).
"""
