/**
 * Trainer event ingestion, before vs after batching (run: `npx tsx bench/events/run.ts [events]`).
 *
 * Before: every trainer output line was its own Postgres transaction that took the experiment's
 * row lock (`recordJobEvent`). After: the runner's `EventBuffer` writes one statement per batch.
 * Both run in this process against the same fresh database (Postgres from DATABASE_URL or
 * 127.0.0.1:5432), each with 4 jobs of one experiment writing concurrently (four trainers of one
 * experiment). Alongside, a "transition" loop takes the experiment row lock the way every job
 * state change does; its p50/p99 wait shows how much the event writes hold that lock.
 */
import { randomBytes } from "node:crypto";
import { EventBuffer } from "../../apps/worker/src/event-buffer.js";
import { createPrisma, dropDatabase, ensureDatabase, migrateDeploy, recordJobEvent, type Db } from "../../packages/db/src/index.js";

const N = Number(process.argv[2] ?? 2000);
const JOBS = 4;
const base = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
base.pathname = `/ty_bench_events_${randomBytes(4).toString("hex")}`;
const url = base.toString();

async function fixture(db: Db, label: string) {
  const project = await db.project.create({ data: { name: `bench-${label}-${randomBytes(3).toString("hex")}` } });
  const exp = await db.experiment.create({
    data: { projectId: project.id, name: label, task: "sokoban", spec: {}, specHash: label },
  });
  const jobs = [];
  for (let i = 0; i < JOBS; i++)
    jobs.push(
      await db.job.create({
        data: { experimentId: exp.id, kind: "sft", name: `sft:${i}`, payload: {}, maxAttempts: 3, state: "running" },
      }),
    );
  return { exp, jobs };
}

/** Row-lock waits of a transition-like transaction, until `stop` resolves. */
async function transitions(db: Db, experimentId: string, stop: { done: boolean }): Promise<number[]> {
  const waits: number[] = [];
  while (!stop.done) {
    const t0 = performance.now();
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM experiments WHERE id = ${experimentId}::uuid FOR UPDATE`;
    });
    waits.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return waits.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(1) : "n/a");
const line = (i: number) => ({ level: "info", message: `step ${i}: loss=${(1 / (i + 1)).toFixed(4)} lr=3e-4 tokens=${i * 512}` });

async function run(
  db: Db,
  label: string,
  write: (job: { id: string; experimentId: string }, i: number) => Promise<void>,
  end?: (job: { id: string; experimentId: string }) => Promise<void>,
) {
  const { exp, jobs } = await fixture(db, label);
  const stop = { done: false };
  const lock = transitions(db, exp.id, stop);
  const t0 = performance.now();
  await Promise.all(
    jobs.map(async (j) => {
      const job = { id: j.id, experimentId: exp.id };
      for (let i = 0; i < N / JOBS; i++) await write(job, i);
      await end?.(job);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  stop.done = true;
  const waits = await lock;
  const rows = await db.jobEvent.count({ where: { experimentId: exp.id } });
  const seqs = await db.jobEvent.findMany({
    where: { experimentId: exp.id },
    select: { experimentSeq: true },
    orderBy: { experimentSeq: "asc" },
  });
  const gapFree = seqs.every((s, i) => s.experimentSeq === i + 1);
  console.log(
    `${label.padEnd(26)} ${String(rows).padStart(6)} events  ${secs.toFixed(2).padStart(6)} s  ${Math.round(rows / secs)
      .toString()
      .padStart(7)} events/s  transition lock wait p50 ${pct(waits, 0.5)} ms p99 ${pct(waits, 0.99)} ms  gap-free ${gapFree}`,
  );
  return rows / secs;
}

await ensureDatabase(url);
try {
  await migrateDeploy(url, { quiet: true });
  const db = createPrisma(url, { poolMax: 10 });
  try {
    console.log(`${N} trainer log lines from ${JOBS} concurrent jobs of one experiment`);
    const before = await run(db, "before: txn per line", (job, i) => recordJobEvent(db, job.id, "log", line(i)).then(() => undefined));
    const buffers = new Map<string, EventBuffer>();
    const buf = (job: { id: string; experimentId: string }) => {
      let b = buffers.get(job.id);
      if (!b) buffers.set(job.id, (b = new EventBuffer(db, job)));
      return b;
    };
    const after = await run(
      db,
      "after: batched (runner)",
      (job, i) => buf(job).add({ type: "log", data: line(i) }),
      (job) => buf(job).flush(),
    );
    console.log(`speed-up ×${(after / before).toFixed(1)}`);
  } finally {
    await db.$disconnect();
  }
} finally {
  await dropDatabase(url);
}
