import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { JOB_CATALOGUE, JobKind, QUEUE_NAMES, queueFor } from "@trainyard/contracts";

/** Queues by name; `backoffOverrideMs` replaces the catalogue's retry delay (tests). */
export type Queues = Map<string, Queue> & { backoffOverrideMs?: number };

export function createQueues(connection: Redis, prefix: string, backoffOverrideMs?: number): Queues {
  const qs: Queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
  if (backoffOverrideMs !== undefined) qs.backoffOverrideMs = backoffOverrideMs;
  return qs;
}

/**
 * Put a job on its queue. The BullMQ id is the Postgres job id, so a repeated add is a no-op;
 * `bullId` names a second delivery of the same job (the reconciler's, for an attempt whose entry
 * a dead worker still holds). `claimJob` makes any duplicate delivery harmless.
 */
export async function enqueueJob(
  queues: Queues,
  kind: JobKind,
  data: { jobId: string; experimentId: string },
  bullId = data.jobId,
): Promise<void> {
  const cat = JOB_CATALOGUE[kind];
  const q = queues.get(queueFor(kind));
  if (!q) throw new Error(`no queue for ${kind}`);
  await q.add(kind, data, {
    jobId: bullId,
    attempts: cat.attempts,
    backoff: { type: cat.backoff.type, delay: queues.backoffOverrideMs ?? cat.backoff.delayMs },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 30 * 24 * 3600 },
  });
}
