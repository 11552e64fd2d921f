"""Where the tests find the repository's files, whatever tier folder a test lives in."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = REPO / "tests" / "data"
