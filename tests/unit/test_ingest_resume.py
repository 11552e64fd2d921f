"""A killed ingest resumes where it stopped: a real child process is SIGKILLed mid-embedding, and the
next run embeds only the chunks that were not stored, with nothing duplicated and nothing lost.

The embedder is the deterministic fake (slowed down so the kill lands mid-run); the store is the real
embedded Qdrant, the kill a real SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from evals.library import write_layout
from ingest.parse import parse_paths
from ingest.pipeline import ingest_paths
from tests.fakes import FakeEmbedder
from tests.paths import REPO
from tutor.core.settings import Settings
from tutor.services import Services

ROOT = REPO
CHILD = """
import sys, time
from pathlib import Path
from tests.fakes import FakeEmbedder
from tutor.services import Services
from tutor.core.settings import Settings
from ingest.pipeline import ingest_paths

class Slow(FakeEmbedder):
    def embed_documents(self, texts):
        print("batch", len(texts), flush=True)
        time.sleep(0.4)
        return super().embed_documents(texts)

services = Services(Settings(data_dir=Path(sys.argv[1]), embed_batch_size=4))
services.__dict__["embedder"] = Slow()
ingest_paths(services, [Path(sys.argv[2])])
print("done", flush=True)
"""


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().embed_documents(texts)


def test_a_killed_ingest_resumes_without_duplicates(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_layout(notes, "markdown", 200)
    total = len({c.chunk_id for d in parse_paths([notes])[0] for c in d.chunks})
    data = tmp_path / "data"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen([sys.executable, str(script), str(data), str(notes)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    batches = 0
    for line in child.stdout:
        batches += line.startswith("batch")
        if batches == 5:  # the first four batches were written before the fifth was asked for
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    services = Services(Settings(data_dir=data, embed_batch_size=4))
    embedder = Counting()
    services.__dict__["embedder"] = embedder
    try:
        stored = services.store.count()
        assert 4 * 16 <= stored < total, "the kill must land mid-run, after some batches were stored"
        report = ingest_paths(services, [notes])
        assert report.chunks_upserted == total - stored
        assert embedder.texts == total - stored  # only the rest was embedded
        assert services.store.count() == report.chunks_total == total  # nothing lost or duplicated
        ids = {i for _, ids in services.store.manifest().values() for i in ids}
        assert len(ids) == total
        again = ingest_paths(services, [notes])
        assert again.chunks_upserted == 0 and embedder.texts == total - stored
    finally:
        services.close()
