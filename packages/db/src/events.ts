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

export interface PendingEvent {
  type: Exclude<JobEventType, "status">;
  data: Record<string, unknown>;
}

/**
 * Append a batch of a job's events in one statement (one round trip, one implicit transaction).
 * Both counters are advanced by the batch size and the rows take consecutive numbers, so sequences
 * stay gap-free and ordered by commit. The experiment row is locked only while this statement runs
 * (the counter update is its first step: the same lock order as every transition, experiment then
 * job), never across round trips as `appendEvent` callers do. Returns how many rows were written
 * (0: the job is gone).
 */
export async function recordJobEvents(
  db: Pick<Tx, "$queryRaw">,
  job: { id: string; experimentId: string },
  events: readonly PendingEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const n = events.length;
  const payload = JSON.stringify(events.map((e) => ({ type: e.type, data: e.data })));
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    WITH e AS (
      UPDATE experiments SET event_seq = event_seq + ${n}::int
      WHERE id = ${job.experimentId}::uuid
        AND EXISTS (SELECT 1 FROM jobs WHERE id = ${job.id}::uuid AND experiment_id = ${job.experimentId}::uuid)
      RETURNING event_seq
    ), j AS (
      UPDATE jobs SET event_seq = jobs.event_seq + ${n}::int FROM e
      WHERE jobs.id = ${job.id}::uuid
      RETURNING jobs.event_seq AS jseq, e.event_seq AS eseq
    ), ins AS (
      INSERT INTO job_events (job_id, experiment_id, seq, experiment_seq, type, data)
      SELECT ${job.id}::uuid, ${job.experimentId}::uuid, j.jseq - ${n}::int + t.ord::int, j.eseq - ${n}::int + t.ord::int,
             (t.ev->>'type')::"JobEventType", t.ev->'data'
      FROM j, jsonb_array_elements(${payload}::jsonb) WITH ORDINALITY AS t(ev, ord)
      RETURNING 1
    )
    SELECT count(*) AS n FROM ins`;
  return Number(rows[0]?.n ?? 0);
}
