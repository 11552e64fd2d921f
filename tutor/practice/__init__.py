"""Quiz and mock interview sessions, spaced repetition (FSRS) and the attempts log."""
