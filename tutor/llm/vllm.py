"""The ``vllm serve`` command for GPU hosts (pure: builds argv, runs nothing).

vLLM is never a dependency of this app: it runs from its own environment, found through
``TUTOR_VLLM_PYTHON`` (that environment's python) or a ``vllm`` executable on PATH.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from tutor.core.errors import ConfigError

VLLM_MAIN = "from vllm.entrypoints.cli.main import main; main()"


@dataclass(frozen=True)
class VLLMOptions:
    model: str  # Hugging Face id or local folder
    served_model_name: str = "qwen2.5-coder-1.5b-instruct"
    host: str = "0.0.0.0"
    port: int = 8000
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    max_model_len: int = 8192
    gpu_memory_utilization: float = 0.90
    api_key: str = ""
    extra: tuple[str, ...] = ()


def vllm_launcher(python: str | None = None, which: str | None = None) -> list[str]:
    """How to start vLLM: ``[python, '-c', VLLM_MAIN]`` or ``['/path/vllm']``.

    ``python`` defaults to $TUTOR_VLLM_PYTHON, ``which`` to ``shutil.which('vllm')``.
    """
    python = python if python is not None else os.environ.get("TUTOR_VLLM_PYTHON", "")
    if python:
        return [python, "-c", VLLM_MAIN]
    exe = which if which is not None else shutil.which("vllm")
    if exe:
        return [exe]
    raise ConfigError("vLLM was not found: set TUTOR_VLLM_PYTHON to the python of vLLM's own "
                      "environment, or put its `vllm` command on PATH.",
                      hint="e.g. python -m venv ~/vllm && ~/vllm/bin/pip install vllm && "
                           "export TUTOR_VLLM_PYTHON=~/vllm/bin/python")


def build_vllm_command(opts: VLLMOptions, launcher: list[str]) -> list[str]:
    """argv for ``vllm serve``.

    >>> build_vllm_command(VLLMOptions("Qwen/Qwen2.5-7B-Instruct", tensor_parallel=2), ["vllm"])[:3]
    ['vllm', 'serve', 'Qwen/Qwen2.5-7B-Instruct']
    """
    if opts.tensor_parallel < 1 or opts.pipeline_parallel < 1:
        raise ConfigError("Tensor and pipeline parallel sizes must be at least 1.")
    if not 0.0 < opts.gpu_memory_utilization <= 1.0:
        raise ConfigError("--gpu-memory-utilization must be in (0, 1].")
    if opts.max_model_len < 256:
        raise ConfigError("--max-model-len must be at least 256 tokens.")
    cmd = [*launcher, "serve", opts.model,
           "--served-model-name", opts.served_model_name,
           "--host", opts.host, "--port", str(opts.port),
           "--max-model-len", str(opts.max_model_len),
           "--gpu-memory-utilization", f"{opts.gpu_memory_utilization:g}",
           "--tensor-parallel-size", str(opts.tensor_parallel),
           "--pipeline-parallel-size", str(opts.pipeline_parallel),
           "--enable-prefix-caching",
           # the app sets sampling per request (temperature 0, repetition penalty on free text only):
           # without this, vLLM's default "auto" fills unset fields from the model's
           # generation_config.json, e.g. Qwen's repetition_penalty on JSON calls too
           "--generation-config", "vllm"]
    if opts.api_key and opts.api_key != "EMPTY":
        cmd += ["--api-key", opts.api_key]
    return cmd + list(opts.extra)


def redact(cmd: list[str]) -> str:
    """The command as a shell line with the API key hidden (for --dry-run and logs)."""
    import shlex

    out = list(cmd)
    for i, arg in enumerate(out[:-1]):
        if arg == "--api-key":
            out[i + 1] = "***"
    return shlex.join(out)
