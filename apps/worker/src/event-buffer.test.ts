/**
 * Trainer events are written in batches (one statement each, no transaction holding the
 * experiment row lock across round trips), and both sequence numbers stay gap-free while other
 * jobs of the experiment write events and change state at the same time. Real Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvent, lockExperiment, recordJobEvents, type Db } from "@trainyard/db";
import { EventBuffer } from "./event-buffer.js";
import { createTestDb, type TestDb } from "../../../tests/helpers/db.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.drop();
});

async function fixture(db: Db, jobs: number) {
  const project = await db.project.create({ data: { name: `p-${Math.random().toString(36).slice(2)}` } });
  const exp = await db.experiment.create({ data: { projectId: project.id, name: "e", task: "sokoban", spec: {}, specHash: "h" } });
  const rows = [];
  for (let i = 0; i < jobs; i++)
    rows.push(
      await db.job.create({ data: { experimentId: exp.id, kind: "sft", name: `sft:${i}`, payload: {}, maxAttempts: 3, state: "running" } }),
    );
  return { exp, jobs: rows.map((j) => ({ id: j.id, experimentId: exp.id })) };
}

/** Counts the database round trips the buffer makes (it talks to Postgres only through $queryRaw). */
function counting(db: Db): { db: Db; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "$queryRaw")
        return (...args: unknown[]) => {
          n++;
          return (target.$queryRaw as (...a: unknown[]) => unknown)(...args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { db: proxy, calls: () => n };
}

describe("trainer events are written in batches without holding the experiment row lock", () => {
  it("writes 1,200 trainer lines in a few statements, in order", async () => {
    const { jobs } = await fixture(t.db, 1);
    const c = counting(t.db);
    const buf = new EventBuffer(c.db, jobs[0]!, { maxBatch: 500, flushMs: 10_000 });
    for (let i = 0; i < 1200; i++) await buf.add({ type: "log", data: { level: "info", message: `line ${i}` } });
    await buf.flush();
    expect(c.calls()).toBe(3); // 500 + 500 + 200: one statement each, where each line was a transaction
    const rows = await t.db.jobEvent.findMany({ where: { jobId: jobs[0]!.id }, orderBy: { seq: "asc" } });
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.map((r) => (r.data as { message: string }).message)).toEqual(rows.map((_, i) => `line ${i}`));
  });

  it("keeps both sequences gap-free next to concurrent transitions of the same experiment", async () => {
    const { exp, jobs } = await fixture(t.db, 4);
    const writers = jobs.slice(0, 3).map(async (job) => {
      const buf = new EventBuffer(t.db, job, { maxBatch: 50, flushMs: 5 });
      for (let i = 0; i < 300; i++) await buf.add({ type: "metrics", data: { step: i } });
      await buf.flush();
    });
    // A job's status events, the way every transition appends them: under the experiment lock.
    const statusJob = jobs[3]!;
    const transitions = (async () => {
      for (let i = 0; i < 40; i++)
        await t.db.$transaction(async (tx) => {
          await lockExperiment(tx, exp.id);
          await appendEvent(tx, statusJob, "status", { state: "running", attempt: i });
        });
    })();
    await Promise.all([...writers, transitions]);
    const rows = await t.db.jobEvent.findMany({ where: { experimentId: exp.id }, orderBy: { experimentSeq: "asc" } });
    expect(rows).toHaveLength(3 * 300 + 40);
    expect(rows.map((r) => r.experimentSeq)).toEqual(rows.map((_, i) => i + 1));
    for (const job of jobs) {
      const seqs = rows.filter((r) => r.jobId === job.id).map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    const after = await t.db.experiment.findUniqueOrThrow({ where: { id: exp.id } });
    expect(after.eventSeq).toBe(rows.length);
  });

  it("writes nothing (and advances no counter) for a job that is gone", async () => {
    const { exp } = await fixture(t.db, 1);
    const n = await recordJobEvents(t.db, { id: "00000000-0000-4000-8000-000000000000", experimentId: exp.id }, [
      { type: "log", data: { message: "x" } },
    ]);
    expect(n).toBe(0);
    expect((await t.db.experiment.findUniqueOrThrow({ where: { id: exp.id } })).eventSeq).toBe(0);
  });
});
