#!/usr/bin/env bash
# Everything a fresh Debian machine needs: system packages, services, npm packages, a build,
# and a migrated database. Safe to run again (each step skips what is already done).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# chromium for the browser tests; python3-venv to make the trainer's venv (Debian's python3
# lacks ensurepip without it); redis/postgres come with services.sh.
apt_install python3-venv chromium ca-certificates
bash scripts/services.sh
bash scripts/python-env.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "build"
npm run build --silent
log "migrate"
node apps/cli/bin/trainyard.js migrate >/dev/null
