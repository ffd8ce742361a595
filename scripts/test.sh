#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, static checks, drift guards, tests.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
# The slurm backend's tests run against a real one-node cluster; with TRAINYARD_SLURM_TESTS=1 they
# fail instead of skipping when none answers.
bash scripts/slurm.sh
export TRAINYARD_SLURM_TESTS=1

log "lint, format, import boundaries"
npm run lint --silent
log "drift: migrations vs schema.prisma"
bash scripts/check-migrations.sh
log "drift: RNG fixtures vs the reference implementations"
"$TRAINYARD_PYTHON" scripts/gen-rng-fixtures.py --check
log "vitest"
npx vitest run --project unit --project integration
# On their own afterwards, so the browser tests' timings (the list's first render) measure the
# page rather than a neighbouring test's trainer.
log "vitest: browser tests"
npx vitest run --project browser
if [ -d infra/trainer/tests ]; then
  log "pytest (trainer)"
  PYTHONPATH=infra/trainer "$TRAINYARD_PYTHON" -m pytest -q -p no:cacheprovider infra/trainer/tests
fi
