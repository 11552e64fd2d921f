#!/usr/bin/env bash
# The README's run command ends here: ingest the corpus if the store is missing or stale, then open
# the web app on 127.0.0.1 (TUTOR_HOST / TUTOR_PORT / TUTOR_AUTH change that).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
unset OPENAI_API_KEY
.venv/bin/tutor ingest --if-needed
exec .venv/bin/tutor ui "$@"
