#!/usr/bin/env bash
# The main job on a fresh machine: set up, start Trainyard (API + worker), run the demo-cpu
# experiment (frozen vs diverse answer-only SFT on Sokoban, CPU engine) end to end, and print
# the generalization matrix.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh

export PORT="${PORT:-8080}" ARTIFACT_DIR="${ARTIFACT_DIR:-$ROOT/artifacts}" LOG_LEVEL="${LOG_LEVEL:-warn}"
export TRAINYARD_URL="http://127.0.0.1:$PORT"
TRAINYARD_API_KEY="$(node apps/cli/bin/trainyard.js keys create --project demo | tail -n 1)"
export TRAINYARD_API_KEY
ty() { node apps/cli/bin/trainyard.js "$@"; }

log "starting trainyard serve on $TRAINYARD_URL (log: ${TMPDIR:-/tmp}/trainyard-demo-serve.log)"
node apps/cli/bin/trainyard.js serve > "${TMPDIR:-/tmp}/trainyard-demo-serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true; wait $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -fsS "$TRAINYARD_URL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$TRAINYARD_URL/readyz" >/dev/null || { echo "the service did not become ready" >&2; tail -20 "${TMPDIR:-/tmp}/trainyard-demo-serve.log" >&2; exit 1; }

log "submitting the demo-cpu experiment (dataset-build -> SFT x2 arms -> eval on 8 splits)"
EXP_ID=$(ty submit --preset demo-cpu --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
ty watch "$EXP_ID" || { log "the experiment did not succeed; its jobs:"; ty get "$EXP_ID"; exit 1; }

log "generalization matrix of $EXP_ID (and the ID-vs-variants curve over checkpoints)"
ty matrix "$EXP_ID"
log "demo finished in $((SECONDS / 60)) min $((SECONDS % 60)) s wall"
