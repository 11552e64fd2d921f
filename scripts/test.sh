#!/usr/bin/env bash
# Runs the whole test suite (unit + real-model integration + browser) after setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAGAS_DO_NOT_TRACK=true
unset OPENAI_API_KEY
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will fail"
fi
echo "==> lint"
.venv/bin/ruff check tutor ingest evals ui tests bench || exit 1
.venv/bin/mypy tutor ingest evals ui || exit 1
echo "==> pytest"
.venv/bin/pytest -q --durations=15 "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "no tests collected"; exit 1; fi
exit $rc
