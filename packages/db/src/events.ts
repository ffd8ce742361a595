import type { JobEventType } from "@trainyard/contracts";
import type { Tx } from "./client.js";

/**
 * Append one event. Callers hold the experiment row lock (see lockExperiment), which makes both
 * sequence numbers gap-free and ordered by commit: an SSE reader never skips a late commit.
 */
export async function appendEvent(
  tx: Tx,
  job: { id: string; experimentId: string },
  type: JobEventType,
  data: Record<string, unknown>,
): Promise<{ seq: number; experimentSeq: number }> {
  const exp = await tx.experiment.update({
    where: { id: job.experimentId },
    data: { eventSeq: { increment: 1 } },
    select: { eventSeq: true },
  });
  const j = await tx.job.update({ where: { id: job.id }, data: { eventSeq: { increment: 1 } }, select: { eventSeq: true } });
  await tx.jobEvent.create({
    data: { jobId: job.id, experimentId: job.experimentId, seq: j.eventSeq, experimentSeq: exp.eventSeq, type, data: data as object },
  });
  return { seq: j.eventSeq, experimentSeq: exp.eventSeq };
}

/** Lock order everywhere: the experiment row first, then its jobs. Prevents deadlocks. */
export async function lockExperiment(tx: Tx, experimentId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM experiments WHERE id = ${experimentId}::uuid FOR UPDATE`;
}
