/**
 * The worker process: a BullMQ Worker per queue running catalogue handlers, the outbox relay,
 * the reconciler, and the cancel subscriber. `startWorker` owns every connection it opens and
 * closes them all in `close()`.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { JobKind, JobPayload, QUEUE_NAMES, cancelChannel, type RuntimeConfig } from "@trainyard/contracts";
import type { Db } from "@trainyard/db";
import type { HandlerRegistry } from "./context.js";
import { serviceHandlers, trainerRuntime, type HandlerConfig } from "./handlers/index.js";
import { releaseOrphanRuns } from "./handlers/compute-run.js";
import { createQueues, type Queues } from "./queues.js";
import { startRelay, type Relay } from "./relay.js";
import { reconcileOnce, startReconciler } from "./reconciler.js";
import { runJob } from "./runner.js";
import { startDeliverer, type Deliverer, type DelivererOptions } from "./webhooks/deliverer.js";

export interface WorkerOptions {
  db: Db;
  config: Pick<
    RuntimeConfig,
    "REDIS_URL" | "REDIS_PREFIX" | "WORKER_CONCURRENCY" | "JOB_LEASE_MS" | "RECONCILE_INTERVAL_MS" | "OUTBOX_POLL_MS" | "ARTIFACT_DIR"
  > &
    Partial<Pick<RuntimeConfig, "WEBHOOK_ALLOW_PRIVATE">>;
  logger: Logger;
  handlers?: Partial<HandlerRegistry>;
  /** Run the real dataset/training/eval handlers with this configuration (tests pass their own handlers instead). */
  services?: HandlerConfig;
  timeouts?: Partial<Record<JobKind, number>>;
  /** Retry delay instead of the catalogue's (tests). */
  backoffMs?: number;
  /** Start BullMQ consumers (false: relay + reconciler only). */
  consume?: boolean;
  /** Webhook deliverer settings (tests: fetch, pollMs, backoffScale); false: no deliverer. */
  webhooks?: Partial<Omit<DelivererOptions, "db" | "logger" | "subscriber" | "prefix">> | false;
}

export interface RunningWorker {
  owner: string;
  queues: Queues;
  relay: Relay;
  webhooks: Deliverer | null;
  reconcile(): Promise<{ reclaimed: number; restored: number; released: number }>;
  /** Stop taking work, abort running handlers, close every connection. */
  close(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const { db, config, logger } = opts;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const connection = () => new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queueConn = connection();
  const subscriber = connection();
  const queues = createQueues(queueConn, config.REDIS_PREFIX, opts.backoffMs);
  const given: Partial<HandlerRegistry> = { ...(opts.services ? serviceHandlers(opts.services) : {}), ...opts.handlers };
  // A consumer without a handler for some kind would fail those jobs only when they arrive; refuse to start instead.
  const missing = JobKind.options.filter((k) => !given[k]);
  if (opts.consume !== false && missing.length)
    throw new Error(`startWorker: no handler for ${missing.join(", ")}: pass services or handlers`);
  const handlers = given as HandlerRegistry;
  const running = new Map<string, AbortController>();

  // Cancellation reaches a running handler through Redis; the heartbeat is the fallback.
  const cancelCh = cancelChannel(config.REDIS_PREFIX);
  await subscriber.subscribe(cancelCh);
  subscriber.on("message", (ch: string, msg: string) => {
    if (ch !== cancelCh) return;
    try {
      const { jobIds, reqId } = JSON.parse(msg) as { jobIds: string[]; reqId?: string };
      const here = jobIds.filter((id) => running.has(id));
      if (here.length) logger.info({ jobIds: here, ...(reqId ? { cancelReqId: reqId } : {}) }, "cancel requested");
      for (const id of here) running.get(id)?.abort("cancel");
    } catch (err) {
      logger.warn({ err }, "bad cancel message");
    }
  });

  const relay = startRelay({ db, queues, subscriber: connection(), prefix: config.REDIS_PREFIX, pollMs: config.OUTBOX_POLL_MS, logger });
  // Runs a dead worker's ended jobs left on a re-attachable backend (slurm) are stopped here.
  const rt = opts.services ? trainerRuntime(opts.services) : null;
  const release = rt
    ? () =>
        releaseOrphanRuns(
          db,
          (name) => rt.backendFor(name),
          config.ARTIFACT_DIR,
          (msg, jobId) => logger.warn({ jobId }, msg),
        )
    : undefined;
  const reconciler = startReconciler(db, queues, logger, config.RECONCILE_INTERVAL_MS, release);
  const webhooks =
    opts.webhooks === false
      ? null
      : startDeliverer({
          db,
          logger,
          subscriber: connection(),
          prefix: config.REDIS_PREFIX,
          allowPrivate: config.WEBHOOK_ALLOW_PRIVATE ?? false,
          ...opts.webhooks,
        });

  const workers: Worker[] = [];
  if (opts.consume !== false) {
    for (const name of QUEUE_NAMES) {
      const w = new Worker(
        name,
        async (job) => {
          const payload = JobPayload.parse(job.data);
          const outcome = await runJob(
            {
              db,
              handlers,
              owner,
              leaseMs: config.JOB_LEASE_MS,
              logger,
              artifactDir: config.ARTIFACT_DIR,
              running,
              ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
            },
            payload.jobId,
          );
          if (outcome === "retry") throw new Error(`job ${payload.jobId} failed with an infra error; retrying`);
          if (outcome === "failed") throw new UnrecoverableError(`job ${payload.jobId} failed`);
          return { outcome };
        },
        {
          connection: connection(),
          prefix: config.REDIS_PREFIX,
          concurrency: config.WORKER_CONCURRENCY,
          lockDuration: Math.max(30_000, config.JOB_LEASE_MS),
        },
      );
      w.on("error", (err) => logger.error({ err, queue: name }, "worker error"));
      workers.push(w);
    }
  }
  logger.info({ owner, queues: QUEUE_NAMES, consume: opts.consume !== false }, "worker started");

  return {
    owner,
    queues,
    relay,
    webhooks,
    reconcile: () => reconcileOnce(db, queues, logger, release),
    async close() {
      for (const ac of running.values()) ac.abort("shutdown");
      await Promise.all(workers.map((w) => w.close()));
      await relay.close();
      await webhooks?.close();
      await reconciler.close();
      await Promise.all([...queues.values()].map((q) => q.close()));
      await subscriber.quit().catch(() => undefined);
      await queueConn.quit().catch(() => undefined);
    },
  };
}
