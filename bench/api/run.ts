/**
 * API throughput and tail latency (run: `npx tsx bench/api/run.ts [--seconds S] [--connections C] [--experiments N]`).
 *
 * A real API (every plugin: auth, rate limit with a limit high enough not to trip, guard, helmet,
 * metrics) listening on a port, over a fresh migrated database seeded with N experiments of one
 * project; autocannon drives it over HTTP with keep-alive connections. Two routes:
 *   list: GET /v1/experiments?limit=50&view=summary  (one page, newest first)
 *   get:  GET /v1/experiments/:id                     (one experiment with its jobs)
 * Prints requests/s (mean) and latency p50/p99 per route. Needs Postgres and Redis as the tests do
 * (DATABASE_URL's server, REDIS_URL).
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import autocannon from "autocannon";
import pino from "pino";
import { Redis } from "ioredis";
import { buildApp } from "../../apps/api/src/app.js";
import { createApiKey, createPrisma, dropDatabase, ensureDatabase, migrateDeploy } from "../../packages/db/src/index.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg("--seconds", 10);
const CONNECTIONS = arg("--connections", 10);
const EXPERIMENTS = arg("--experiments", 200);

const base = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const url = new URL(base);
url.pathname = `/ty_bench_api_${randomBytes(4).toString("hex")}`;
const databaseUrl = url.toString();

await ensureDatabase(databaseUrl);
await migrateDeploy(databaseUrl, { quiet: true });
const db = createPrisma(databaseUrl, { connectTimeoutMs: 3000, statementTimeoutMs: 15_000 });
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
const prefix = `tybench${randomBytes(3).toString("hex")}`;
const app = await buildApp({
  db,
  redis,
  config: {
    REDIS_PREFIX: prefix,
    API_BODY_LIMIT_BYTES: 1 << 20,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: 1_000_000,
    QUOTA_ACTIVE_EXPERIMENTS: 100_000,
    QUOTA_ACTIVE_JOBS: 1_000_000,
    QUOTA_DATASET_ROWS: 100_000_000,
  },
  logger: pino({ level: "silent" }),
});
try {
  const { key } = await createApiKey(db, "bench");
  const headers = { authorization: `Bearer ${key}` };
  let id = "";
  for (let i = 0; i < EXPERIMENTS; i++) {
    const res = await app.inject({ method: "POST", url: "/v1/experiments", headers, payload: { preset: "demo-cpu", name: `bench-${i}` } });
    if (res.statusCode !== 201) throw new Error(`seed failed: ${res.statusCode} ${res.body}`);
    id = res.json<{ id: string }>().id;
  }
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  console.log(
    `bench/api: ${EXPERIMENTS} experiments, ${CONNECTIONS} connections, ${SECONDS} s per route, load ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log("route  requests/s  p50 ms  p99 ms  non-2xx");
  for (const [name, path] of [
    ["list", "/v1/experiments?limit=50&view=summary"],
    ["get", `/v1/experiments/${id}`],
  ] as const) {
    const r = await autocannon({ url: `${address}${path}`, headers, connections: CONNECTIONS, duration: SECONDS });
    console.log(
      `${name.padEnd(5)}  ${r.requests.average.toFixed(0).padStart(10)}  ${String(r.latency.p50).padStart(6)}  ${String(r.latency.p99).padStart(6)}  ${String(r.non2xx).padStart(7)}`,
    );
  }
} finally {
  await app.close();
  await db.$disconnect();
  redis.disconnect();
  await dropDatabase(databaseUrl);
}
