/**
 * Reconciler: Postgres is the record, Redis only carries work. Periodically
 *  1. takes back running jobs whose worker stopped heart-beating (retry as infra errors),
 *  2. re-enqueues every job that should be on a queue but is not (e.g. Redis was wiped),
 *  3. stops compute runs that outlived their job (`release`: a Slurm job left by a dead worker).
 */
import type { Logger } from "pino";
import { queueFor } from "@trainyard/contracts";
import { listEnqueuableJobs, reclaimExpiredLeases, type Db } from "@trainyard/db";
import { enqueueJob, type Queues } from "./queues.js";

export async function reconcileOnce(
  db: Db,
  queues: Queues,
  logger: Logger,
  release?: () => Promise<number>,
): Promise<{ reclaimed: number; restored: number; released: number }> {
  const leases = await reclaimExpiredLeases(db);
  const reclaimed = leases.requeued.length + leases.failed.length + leases.cancelled.length;
  if (reclaimed) logger.warn(leases, "reclaimed jobs with expired leases");
  const released = release ? await release().catch((err: unknown) => (logger.error({ err }, "releasing orphan runs failed"), 0)) : 0;
  let restored = 0;
  for (const j of await listEnqueuableJobs(db)) {
    const q = queues.get(queueFor(j.kind));
    if (!q) continue;
    const existing = await q.getJob(j.jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === "active" && j.leaseLost) {
        // The worker that held this entry was SIGKILLed (Postgres reclaimed its lease): BullMQ
        // would hand it out again only after its lock duration and a stalled check (a minute or
        // more). Deliver this attempt at once under its own id; a repeated pass adds nothing.
        const bullId = `${j.jobId}-a${j.attempts}`;
        if (!(await q.getJob(bullId))) {
          await enqueueJob(queues, j.kind, { jobId: j.jobId, experimentId: j.experimentId }, bullId);
          restored++;
        }
        continue;
      }
      if (state !== "completed" && state !== "failed") continue;
      // Postgres says it still has to run (e.g. retried by the lease reclaim): replace the stale entry.
      await existing.remove().catch(() => undefined);
    }
    await enqueueJob(queues, j.kind, { jobId: j.jobId, experimentId: j.experimentId });
    restored++;
  }
  if (restored) logger.warn({ restored }, "re-enqueued jobs missing from Redis");
  return { reclaimed, restored, released };
}

export function startReconciler(
  db: Db,
  queues: Queues,
  logger: Logger,
  intervalMs: number,
  release?: () => Promise<number>,
): { close(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const t = setInterval(() => {
    running = reconcileOnce(db, queues, logger, release).catch((err: unknown) => logger.error({ err }, "reconcile failed"));
  }, intervalMs);
  return {
    async close() {
      clearInterval(t);
      await running;
    },
  };
}
