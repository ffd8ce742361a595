/**
 * Global test setup: check Postgres and Redis answer, then migrate a template database once per
 * migration set. Each test file clones it (CREATE DATABASE ... TEMPLATE), see helpers/db.ts.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { migrateDeploy, ensureDatabase, repoRoot } from "../../packages/db/src/migrate.js";
import { adminDbUrl, dbUrl, redisUrl } from "../helpers/env.js";

declare module "vitest" {
  export interface ProvidedContext {
    dbTemplate: string;
  }
}

function migrationsHash(): string {
  const dir = join(repoRoot(), "prisma", "migrations");
  const h = createHash("sha256");
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith(".toml")) continue;
    h.update(name).update(readFileSync(join(dir, name, "migration.sql")));
  }
  return h.digest("hex").slice(0, 12);
}

export default async function setup(project: TestProject): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDbUrl() });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`Postgres is not reachable at ${adminDbUrl()} (${String(e)}); run \`bash scripts/services.sh\` first`);
  }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(`Redis is not reachable at ${redisUrl()} (${String(e)}); run \`bash scripts/services.sh\` first`);
  } finally {
    redis.disconnect();
  }
  const template = `ty_tpl_${migrationsHash()}`;
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
  if (!exists.rowCount) {
    // Build under a temporary name and rename: a concurrent run never sees a half-migrated template.
    const tmp = `ty_tpl_tmp_${randomBytes(4).toString("hex")}`;
    await ensureDatabase(dbUrl(tmp));
    await migrateDeploy(dbUrl(tmp), { quiet: true });
    try {
      await admin.query(`ALTER DATABASE "${tmp}" RENAME TO "${template}"`);
    } catch {
      await admin.query(`DROP DATABASE IF EXISTS "${tmp}"`); // another run won the race
    }
  }
  await admin.end();
  project.provide("dbTemplate", template);
}
