#!/usr/bin/env bash
# Everything a fresh Debian machine needs: system packages, services, npm packages, a build,
# and a migrated database. Safe to run again (each step skips what is already done).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# python3-torch for the CPU trainer (+ OpenBLAS: ~9x faster matmuls), pytest, chromium for the
# browser tests, redis/postgres clients and servers.
apt_install python3-torch libopenblas0-pthread python3-pytest python3-numpy chromium ca-certificates
bash scripts/services.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "build"
npm run build --silent
log "migrate"
node apps/cli/bin/trainyard.js migrate >/dev/null
