"""The CLI root: fast help, version, and errors translated into readable messages."""

from __future__ import annotations

import subprocess
import sys
import time

from tutor import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor.cli.main", *args], capture_output=True,
                          text=True, timeout=60)


def test_version() -> None:
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"tutor {__version__}"


def test_help_is_fast_and_loads_no_heavy_library() -> None:
    t0 = time.perf_counter()
    out = _run("--help")
    assert out.returncode == 0 and "Interview tutor" in out.stdout
    code = ("import sys, tutor.cli.main; heavy = [m for m in ('torch', 'sentence_transformers', "
            "'qdrant_client', 'gradio', 'xllamacpp', 'llama_index') if m in sys.modules]; print(heavy)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
    assert time.perf_counter() - t0 < 30  # generous: a sanity bound, the real figure is in the README


def test_tutor_error_becomes_a_readable_message(monkeypatch, capsys) -> None:
    import pytest

    from tutor.cli import main as cli_main
    from tutor.core.errors import StoreBusyError

    def boom() -> None:
        raise StoreBusyError("The knowledge base is in use.", hint="Close the other tutor process.")

    monkeypatch.setattr(cli_main, "app", boom)
    with pytest.raises(SystemExit) as exc:
        cli_main.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "error: The knowledge base is in use." in err
    assert "Close the other tutor process." in err
    assert "Traceback" not in err
