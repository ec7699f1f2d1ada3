#!/usr/bin/env bash
# The test command: install, lint (ruff, mypy), run the whole test suite, fuzz a live server against
# its OpenAPI schema, then the retrieval eval gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-chromium.sh || echo "warning: chromium not installed; browser tests will be skipped" >&2
# The store, ingest, search, API, alerts, CLI, eval and deploy tests also run against a real
# PostgreSQL they start on loopback (tests/postgres.py); installed here when missing.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql \
    || echo "warning: postgresql not installed; PostgreSQL tests will be skipped" >&2
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
.venv/bin/ruff check kb ingestors evals tests benchmarks
.venv/bin/mypy kb ingestors evals benchmarks
.venv/bin/mypy --strict kb   # the package itself: strict (no untyped defs, no implicit re-exports)
.venv/bin/python -m pytest "$@"
# schemathesis against a real `kb serve`: no 5xx, no schema violation, no valid request rejected.
bash scripts/schemathesis.sh
# The retrieval eval on the example data, gated: a ranking regression fails here.
bash scripts/eval-gate.sh
