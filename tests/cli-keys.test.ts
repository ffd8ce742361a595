/**
 * `trainyard keys create --operator | list | revoke` (the built binary) against a real database:
 * an operator key opens bull-board, `list` shows lastUsedAt, a revoked key is refused at once.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import pino from "pino";
import { buildApp } from "../apps/api/src/app.js";
import { createTestDb, type TestDb } from "./helpers/db.js";
import { deletePrefix, randomPrefix, redisClient } from "./helpers/redis.js";

const bin = fileURLToPath(new URL("../apps/cli/bin/trainyard.js", import.meta.url));
let tdb: TestDb;
let env: NodeJS.ProcessEnv;
const prefix = randomPrefix();
const redis = redisClient();

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tdb = await createTestDb();
  env = { ...process.env, DATABASE_URL: tdb.url, LOG_LEVEL: "silent" };
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await tdb?.drop();
});

it("creates an operator key, lists keys with lastUsedAt, revokes one, and names a bad argument", { timeout: 90_000 }, async () => {
  const op = cli(["keys", "create", "--project", "ops", "--operator"]);
  expect(op.code, op.stderr).toBe(0);
  expect(op.stdout).toContain("operator key");
  const opKey = op.stdout.trim().split("\n").pop()!;
  const tenant = cli(["keys", "create", "--project", "alpha", "--name", "ci"]);
  const tenantKey = tenant.stdout.trim().split("\n").pop()!;

  const app = await buildApp({
    db: tdb.db,
    redis,
    config: { REDIS_PREFIX: prefix, API_BODY_LIMIT_BYTES: 1 << 20, LOG_LEVEL: "silent" },
    logger: pino({ level: "silent" }),
  });
  try {
    const board = (key: string) =>
      app.inject({ method: "GET", url: "/admin/queues/api/queues", headers: { authorization: `Bearer ${key}` } });
    expect((await board(opKey)).statusCode).toBe(200);
    expect((await board(tenantKey)).statusCode).toBe(403);

    const list = cli(["keys", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const items = JSON.parse(list.stdout).items as {
      id: string;
      project: string;
      operator: boolean;
      lastUsedAt: string | null;
      name: string | null;
    }[];
    expect(items.map((k) => [k.project, k.operator]).sort()).toEqual([
      ["alpha", false],
      ["ops", true],
    ]);
    expect(items.every((k) => k.lastUsedAt !== null)).toBe(true); // both were used above
    const table = cli(["keys", "list", "--project", "alpha"]);
    expect(table.stdout).toMatch(/^ID\s+PROJECT\s+PREFIX/);
    expect(table.stdout).not.toContain("ops");

    const alpha = items.find((k) => k.project === "alpha")!;
    const revoke = cli(["keys", "revoke", alpha.id]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain(`revoked ${alpha.id}`);
    const after = await app.inject({ method: "GET", url: "/v1/experiments", headers: { authorization: `Bearer ${tenantKey}` } });
    expect(after.statusCode).toBe(401);

    const bad = cli(["keys", "revoke", "nope"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("<id>");
  } finally {
    await app.close();
  }
});
