"""`tutor serve-llm`: run an OpenAI-compatible LLM server in the foreground (embedded llama.cpp or vLLM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tutor.cli.common import load_settings

if TYPE_CHECKING:  # pragma: no cover
    from tutor.core.settings import Settings


def register(app: typer.Typer) -> None:
    @app.command("serve-llm")
    def serve_llm(
        engine: str = typer.Option("embedded", help="'embedded' (llama.cpp via xllamacpp, CPU) or 'vllm' (GPU host)."),
        model: str = typer.Option("", help="vLLM: Hugging Face id or local folder. Embedded: ignored "
                                           "(uses TUTOR_LLM_GGUF or the provisioned GGUF)."),
        host: str = typer.Option("127.0.0.1", help="Bind address."),
        port: int = typer.Option(8000, help="Port."),
        tp: int = typer.Option(1, "--tp", help="vLLM tensor parallel size (GPUs per replica)."),
        pp: int = typer.Option(1, "--pp", help="vLLM pipeline parallel size (nodes/stages)."),
        max_model_len: int = typer.Option(0, help="Context window; 0 = TUTOR_LLM_CONTEXT."),
        gpu_memory_utilization: float = typer.Option(0.90, help="vLLM share of GPU memory."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the command and exit."),
    ) -> None:
        """Serve the LLM over HTTP (/v1/chat/completions); point the app at it with TUTOR_LLM_BASE_URL."""
        settings = load_settings()
        context = max_model_len or settings.llm_context
        if engine == "vllm":
            _vllm(model, settings.llm_model, host, port, tp, pp, context, gpu_memory_utilization,
                  settings.llm_api_key, dry_run)
        elif engine == "embedded":
            _embedded(settings, host, port, context, dry_run)
        else:
            raise typer.BadParameter("--engine must be 'embedded' or 'vllm'.")


def _vllm(model: str, name: str, host: str, port: int, tp: int, pp: int, context: int, gpu: float,
          api_key: str, dry_run: bool) -> None:
    import os

    from tutor.core.errors import ConfigError
    from tutor.llm.vllm import VLLMOptions, build_vllm_command, redact, vllm_launcher

    if not model:
        raise ConfigError("`--engine vllm` needs --model (a Hugging Face id such as "
                          "Qwen/Qwen2.5-Coder-7B-Instruct, or a local folder).")
    opts = VLLMOptions(model=model, served_model_name=name, host=host, port=port, tensor_parallel=tp,
                       pipeline_parallel=pp, max_model_len=context, gpu_memory_utilization=gpu,
                       api_key=api_key)
    launcher = vllm_launcher() if not dry_run else _launcher_or_placeholder()
    cmd = build_vllm_command(opts, launcher)
    typer.echo(redact(cmd))
    if dry_run:
        return
    os.execvp(cmd[0], cmd)  # vLLM owns the process (signals, GPU memory) from here on


def _launcher_or_placeholder() -> list[str]:
    from tutor.core.errors import ConfigError
    from tutor.llm.vllm import vllm_launcher

    try:
        return vllm_launcher()
    except ConfigError:
        return ["vllm"]


def _embedded(settings: Settings, host: str, port: int, context: int, dry_run: bool) -> None:
    from tutor.llm.engine import engine_args, serve
    from tutor.models.provision import gguf_path

    settings = settings.model_copy(update={"llm_context": context})
    gguf = gguf_path(settings)
    args = engine_args(settings, gguf, port)
    typer.echo(f"embedded llama.cpp: {' '.join(args)} --host {host}")
    if dry_run:
        return
    typer.echo(f"serving {settings.llm_model} at http://{host}:{port}/v1 (Ctrl+C stops)")
    parallel = max(1, settings.llm_parallel)
    serve(str(gguf), port, context * parallel, parallel, settings.llm_threads, settings.llm_model, host=host)
