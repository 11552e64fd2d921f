"""Notes-first answers: the bank item's answer or the notes' sentences first, then a checked explanation."""
