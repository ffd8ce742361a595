import pino from "pino";
import { startWorker, type RunningWorker, type WorkerOptions } from "../../apps/worker/src/index.js";
import type { Db } from "../../packages/db/src/index.js";
import { redisUrl } from "./env.js";

export async function startTestWorker(db: Db, prefix: string, opts: Partial<WorkerOptions> = {}): Promise<RunningWorker> {
  return startWorker({
    db,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    config: {
      REDIS_URL: redisUrl(),
      REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: 4,
      JOB_LEASE_MS: 1500,
      RECONCILE_INTERVAL_MS: 60_000, // tests call reconcile() themselves
      OUTBOX_POLL_MS: 50,
      ARTIFACT_DIR: "./artifacts/test",
    },
    backoffMs: 50,
    ...opts,
  });
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
