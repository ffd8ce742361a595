/** A fresh database per test file, cloned from the migrated template. */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createPrisma, type Db } from "../../packages/db/src/index.js";
import { dropDatabase, ensureDatabase } from "../../packages/db/src/migrate.js";
import { dbUrl } from "./env.js";

export interface TestDb {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const name = `ty_test_${randomBytes(6).toString("hex")}`;
  const url = dbUrl(name);
  await ensureDatabase(url, inject("dbTemplate"));
  const db = createPrisma(url, { poolMax: 20 });
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await dropDatabase(url);
    },
  };
}
