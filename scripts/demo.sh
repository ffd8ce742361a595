#!/usr/bin/env bash
# The main job on a fresh machine: set up, start Trainyard (API + worker), submit the demo-cpu
# experiment and follow it to the end.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh

export PORT="${PORT:-8080}" TRAINYARD_URL="http://127.0.0.1:${PORT:-8080}" ARTIFACT_DIR="${ARTIFACT_DIR:-$ROOT/artifacts}" LOG_LEVEL="${LOG_LEVEL:-warn}"
TRAINYARD_API_KEY="$(node apps/cli/bin/trainyard.js keys create --project demo | tail -n 1)"
export TRAINYARD_API_KEY

log "starting trainyard serve on $TRAINYARD_URL"
node apps/cli/bin/trainyard.js serve > "${TMPDIR:-/tmp}/trainyard-demo-serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true; wait $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$TRAINYARD_URL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

log "submitting the demo-cpu experiment"
node apps/cli/bin/trainyard.js submit --preset demo-cpu --watch || true
