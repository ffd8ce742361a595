#!/usr/bin/env bash
# Drift guard: the committed migrations must produce exactly prisma/schema.prisma.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# The shadow database is created through an admin connection; any existing database serves.
export DATABASE_URL="$TEST_DATABASE_URL"
set +e
out=$(npx prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script --exit-code 2>&1)
rc=$?
set -e
if [ $rc -eq 2 ]; then
  echo "schema.prisma and prisma/migrations differ. Add a migration:" >&2
  echo "  npx prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script -o prisma/migrations/<timestamp>_<name>/migration.sql" >&2
  echo "$out" | tail -40 >&2
  exit 1
elif [ $rc -ne 0 ]; then
  echo "$out" >&2
  exit $rc
fi
echo "migrations match schema.prisma"
