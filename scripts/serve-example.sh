#!/usr/bin/env bash
# Install FreshKB, ingest the bundled example data (examples/) and serve it on 127.0.0.1:8000.
# Re-running is cheap: unchanged documents are not embedded again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
export KB_CONFIG=${KB_CONFIG:-config.toml}
.venv/bin/kb ingest notion examples/notion/acme-notion-export.zip
.venv/bin/kb ingest drive examples/drive
exec .venv/bin/kb serve "$@"
