import pino from "pino";
import { startWorker, type RunningWorker, type WorkerOptions } from "../../apps/worker/src/index.js";
import type { Db } from "../../packages/db/src/index.js";
import type { HandlerConfig } from "../../apps/worker/src/handlers/index.js";
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

/**
 * A worker with the service's real handlers (dataset-build, the Python trainer on the process
 * backend, eval through serve mode) over the harness's database and Redis prefix.
 */
export async function startServiceWorker(
  db: Db,
  prefix: string,
  artifactDir: string,
  opts: {
    allowPrivateWebhooks?: boolean;
    services?: Partial<HandlerConfig>;
    leaseMs?: number;
    /** Handlers that replace the real ones (e.g. a dataset-build that stores no dataset). */
    handlers?: WorkerOptions["handlers"];
  } = {},
): Promise<RunningWorker> {
  const allowPrivate = opts.allowPrivateWebhooks ?? false;
  return startTestWorker(db, prefix, {
    services: {
      TRAINYARD_PYTHON: process.env.TRAINYARD_PYTHON ?? "",
      TRAINER_IMAGE_CPU: "unused",
      TRAINER_IMAGE_GPU: "unused",
      K8S_NAMESPACE: "unused",
      K8S_ARTIFACT_PVC: "unused",
      DOCKER_SOCKET: "/var/run/docker.sock",
      ...opts.services,
    },
    config: {
      REDIS_URL: redisUrl(),
      REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: 2,
      JOB_LEASE_MS: opts.leaseMs ?? 10_000,
      RECONCILE_INTERVAL_MS: 60_000,
      OUTBOX_POLL_MS: 50,
      ARTIFACT_DIR: artifactDir,
      ...(allowPrivate ? { WEBHOOK_ALLOW_PRIVATE: true } : {}),
    },
    ...(allowPrivate ? { webhooks: { pollMs: 100, allowPrivate: true } } : {}),
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
  });
}
