#!/usr/bin/env bash
# The README's run command ends here: ingest the notes if the store is missing or stale, then open
# the web app on 127.0.0.1 (TUTOR_HOST / TUTOR_PORT / TUTOR_AUTH change that; extra args go to `tutor ui`).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
unset OPENAI_API_KEY
# The store mirrors the paths it is given, so notes uploaded in the Library tab (data_dir/uploads)
# are ingested together with the corpus folder; otherwise they would be removed at every start.
mapfile -t dirs < <(.venv/bin/python -c "from tutor.core.settings import Settings; s = Settings(); \
print(s.corpus_dir); print(s.data_dir / 'uploads')")
mkdir -p "${dirs[1]}"
.venv/bin/tutor ingest "${dirs[0]}" "${dirs[1]}" --if-needed
exec .venv/bin/tutor ui "$@"
