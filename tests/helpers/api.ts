/** A real API app (inject or listening) over a per-file database and Redis prefix. */
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import type { Redis } from "ioredis";
import pino from "pino";
import type { ComputePolicy } from "../../packages/contracts/src/index.js";
import { buildApp, type AppDeps } from "../../apps/api/src/app.js";
import { createApiKey, type Db } from "../../packages/db/src/index.js";
import { createTestDb, type TestDb } from "./db.js";
import { deletePrefix, randomPrefix, redisClient } from "./redis.js";
import { waitFor } from "./worker.js";

export interface ApiHarness {
  app: FastifyInstance;
  tdb: TestDb;
  db: Db;
  redis: Redis;
  prefix: string;
  key: string;
  projectId: string;
  /** An operator key (project `ops`): bull-board, /metrics, every project's keys. */
  operatorKey: string;
  close(): Promise<void>;
}

export async function startApiHarness(
  opts: {
    ssePollMs?: number;
    webhookAllowPrivate?: boolean;
    artifactDir?: string;
    compute?: Partial<ComputePolicy>;
    dashboardDir?: string;
    /** Any other configuration (limits, quotas, rate limit, ...). */
    config?: Partial<AppDeps["config"]>;
    lookup?: AppDeps["lookup"];
  } = {},
): Promise<ApiHarness> {
  const tdb = await createTestDb();
  const redis = redisClient();
  const prefix = randomPrefix();
  const app = await buildApp({
    db: tdb.db,
    redis,
    config: {
      REDIS_PREFIX: prefix,
      API_BODY_LIMIT_BYTES: 1024 * 1024,
      LOG_LEVEL: "silent",
      WEBHOOK_ALLOW_PRIVATE: opts.webhookAllowPrivate ?? false,
      ...(opts.artifactDir ? { ARTIFACT_DIR: opts.artifactDir } : {}),
      ...opts.compute,
      ...(opts.dashboardDir ? { DASHBOARD_DIR: opts.dashboardDir } : {}),
      // Tests fire requests far faster than people; the rate-limit test sets its own.
      RATE_LIMIT_PER_MINUTE: 100_000,
      ...opts.config,
    },
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    ssePollMs: opts.ssePollMs ?? 50,
  });
  const { key, projectId } = await createApiKey(tdb.db, "alpha");
  const operatorKey = (await createApiKey(tdb.db, "ops", "operator", { operator: true })).key;
  return {
    operatorKey,
    app,
    tdb,
    db: tdb.db,
    redis,
    prefix,
    key,
    projectId,
    async close() {
      await app.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await tdb.drop();
    },
  };
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export interface SubmittedExperiment {
  id: string;
  jobs: { id: string; name: string }[];
}

/** POST /v1/experiments as the harness's project; the test fails unless it answers 201. */
export async function submitExperiment(h: ApiHarness, body: Record<string, unknown>): Promise<SubmittedExperiment> {
  const res = await h.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(h.key), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as SubmittedExperiment;
}

/** GET /v1/experiments/:id (the API's JSON, jobs included). */
export async function getExperiment(h: ApiHarness, id: string): Promise<any> {
  return (await h.app.inject({ method: "GET", url: `/v1/experiments/${id}`, headers: auth(h.key) })).json();
}

/** The experiment once it is succeeded, failed or cancelled. */
export async function experimentEnd(h: ApiHarness, id: string, timeoutMs = 20_000, stepMs = 50): Promise<any> {
  return waitFor(
    async () => {
      const e = await getExperiment(h, id);
      return ["succeeded", "failed", "cancelled"].includes(e.state) ? e : null;
    },
    timeoutMs,
    stepMs,
  );
}
