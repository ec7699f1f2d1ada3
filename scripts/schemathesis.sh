#!/usr/bin/env bash
# Fuzz the live API against its own OpenAPI schema (issue 11): a real `kb serve` on loopback over
# the bundled Drive example, schemathesis with every check (no 5xx, responses match the schema,
# no valid request rejected). Arguments go to `st run` (e.g. --max-examples 50).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ST=$(dirname "$PY")/st
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export KB_DATA_DIR="$work/data"
"$PY" -m kb.cli ingest drive examples/drive -c config.toml >/dev/null
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" -m kb.cli serve -c config.toml --port "$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done
"$ST" run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer demo-admin" \
  --checks all --max-examples "${ST_MAX_EXAMPLES:-25}" --workers 2 --request-timeout 30 \
  --suppress-health-check too_slow "$@"
