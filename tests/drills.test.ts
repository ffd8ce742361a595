/**
 * Failure drills (docs/failure-modes.md, "Drills"): real Postgres, Redis, worker processes and
 * Python trainer processes; each asserts on the data left behind (counts, no duplicates, nothing
 * lost). Tiny models and datasets keep the file short.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobHandler, RunningWorker } from "../apps/worker/src/index.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "./helpers/api.js";
import { deletePrefix } from "./helpers/redis.js";
import { startServiceWorker, waitFor } from "./helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker | null = null;
let child: ChildProcess | null = null;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-drills-"));

beforeAll(async () => {
  h = await startApiHarness({ artifactDir });
}, 60_000);
afterEach(async () => {
  child?.kill("SIGKILL");
  child = null;
  await worker?.close();
  worker = null;
});
afterAll(async () => {
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

const tiny = (name: string, sft: Record<string, unknown>, arms = [{ name: "a", method: "sft", data: "frozen", target: "answer" }]) => ({
  preset: "demo-cpu",
  name,
  arms,
  datasets: { train: { size: 12 }, eval: { size: 1 } },
  splits: ["id"],
  sft: { batchSize: 4, learningRate: 3e-3, warmupRatio: 0, ...sft },
  model: { dModel: 32, layers: 1, heads: 2 },
});

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Process group ids of a job's trainers, from its "trainer started on process (PID)" log lines. */
async function trainerPids(jobId: string): Promise<number[]> {
  const logs = await h.db.jobEvent.findMany({ where: { jobId, type: "log" }, orderBy: { seq: "asc" } });
  return logs
    .map((e) => /trainer started on process \((\d+)\)/.exec((e.data as { message: string }).message))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

async function statusCounts(experimentId: string): Promise<Map<string, number>> {
  const evs = await h.db.jobEvent.findMany({ where: { experimentId, type: "status" }, select: { jobId: true, data: true } });
  const n = new Map<string, number>();
  for (const e of evs) if ((e.data as { state: string }).state === "succeeded") n.set(e.jobId, (n.get(e.jobId) ?? 0) + 1);
  return n;
}

describe("drills", () => {
  it("Redis flushed mid-experiment: the experiment completes with every result once", { timeout: 120_000 }, async () => {
    const runs = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const train: JobHandler = async (ctx) => {
      runs.set(ctx.job.name, (runs.get(ctx.job.name) ?? 0) + 1);
      if (ctx.job.arm === "a") await gate; // running while Redis is flushed
      await ctx.log(`trained ${ctx.job.name}`);
      return { trained: ctx.job.name };
    };
    const evaluate: JobHandler = async (ctx) => {
      runs.set(ctx.job.name, (runs.get(ctx.job.name) ?? 0) + 1);
      return { evaluated: ctx.job.name };
    };
    // The real dataset build; light training and evaluation (the subject is the queue, not the trainer).
    worker = await startServiceWorker(h.db, h.prefix, artifactDir, { handlers: { sft: train, grpo: train, eval: evaluate } });
    const arms = ["a", "b", "c"].map((name) => ({ name, method: "sft", data: "frozen", target: "answer" }));
    const exp = await submitExperiment(h, tiny("redis-flush", { maxSteps: 2 }, arms));
    await waitFor(() => runs.has("sft:a:s0") || null, 60_000);
    await deletePrefix(h.redis, h.prefix); // Redis loses every queue, job and lock of this deployment
    release();
    // The reconciler's pass (run here at once instead of every RECONCILE_INTERVAL_MS).
    await waitFor(
      async () => {
        await worker!.reconcile();
        const e = await h.db.experiment.findUniqueOrThrow({ where: { id: exp.id } });
        return ["succeeded", "failed", "cancelled"].includes(e.state) ? e : null;
      },
      60_000,
      300,
    );
    const done = await experimentEnd(h, exp.id);
    expect(done.state).toBe("succeeded");
    const jobs = done.jobs as { id: string; name: string; state: string; result: unknown }[];
    expect(jobs).toHaveLength(1 + 2 * arms.length);
    for (const j of jobs) expect(j.state, j.name).toBe("succeeded");
    // Every result once: each job ran to success exactly once, and says so once.
    for (const j of jobs.filter((j) => j.name !== "dataset-build")) expect(runs.get(j.name), j.name).toBe(1);
    const succeeded = await statusCounts(exp.id);
    for (const j of jobs) expect(succeeded.get(j.id), j.name).toBe(1);
    expect(await h.db.dataset.count({ where: { experimentId: exp.id } })).toBe(1);
  });

  it(
    "worker SIGKILLed mid-training: the job is retried and resumes from its last checkpoint, no duplicate rows",
    { timeout: 240_000 },
    async () => {
      child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/worker-process.ts"], {
        env: { ...process.env, DRILL_DB_URL: h.tdb.url, DRILL_PREFIX: h.prefix, DRILL_ARTIFACTS: artifactDir, DRILL_LEASE_MS: "3000" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve, reject) => {
        child!.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && resolve());
        child!.once("exit", (code) => reject(new Error(`worker process exited (${code})`)));
      });
      const exp = await submitExperiment(h, tiny("worker-killed", { maxSteps: 40, saveSteps: 10 }));
      const sft = exp.jobs.find((j) => j.name.startsWith("sft:"))!;
      const first = await waitFor(() => h.db.checkpoint.findFirst({ where: { jobId: sft.id } }), 120_000, 100);
      // The worker's host is lost: the worker and the trainer it started die together.
      const [pid] = await trainerPids(sft.id);
      child.kill("SIGKILL");
      if (pid && groupAlive(pid)) process.kill(-pid, "SIGKILL");
      child = null;
      const before = await h.db.checkpoint.findMany({ where: { jobId: sft.id }, orderBy: { step: "asc" } });
      expect(before.length).toBeGreaterThanOrEqual(1);
      const last = before.at(-1)!;
      expect(last.step).toBeGreaterThanOrEqual(first.step);

      worker = await startServiceWorker(h.db, h.prefix, artifactDir);
      // Once the dead worker's lease runs out the reconciler takes the job back (TY_ERR_LEASE_LOST).
      await waitFor(async () => ((await worker!.reconcile()).reclaimed > 0 ? true : null), 30_000, 500);
      const job = await waitFor(
        async () => {
          const j = await h.db.job.findUniqueOrThrow({ where: { id: sft.id } });
          return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
        },
        120_000,
        250,
      );
      expect(job).toMatchObject({ state: "succeeded", attempts: 2 });
      // Evaluation is the demo pipeline test's subject: stop the rest of the DAG.
      await h.app.inject({ method: "POST", url: `/v1/experiments/${exp.id}/cancel`, headers: auth(h.key) });
      const logs = await h.db.jobEvent.findMany({ where: { jobId: sft.id, type: "log" } });
      expect(
        logs.some(
          (l) =>
            (l.data as { message: string }).message.includes(`resuming from`) &&
            (l.data as { message: string }).message.includes(`(step ${last.step})`),
        ),
      ).toBe(true);
      // Attempt 2 trained on from the checkpoint: its first metric step follows the checkpoint's.
      const metrics = await h.db.jobEvent.findMany({ where: { jobId: sft.id, type: "metrics" }, orderBy: { seq: "asc" } });
      const statusRows = await h.db.jobEvent.findMany({ where: { jobId: sft.id, type: "status" }, orderBy: { seq: "asc" } });
      const secondStart = statusRows.filter((s) => (s.data as { state: string }).state === "running")[1]!.seq;
      const resumedSteps = metrics.filter((m) => m.seq > secondStart).map((m) => (m.data as { step: number }).step);
      expect(resumedSteps[0]).toBe(last.step + 1);
      expect(resumedSteps.at(-1)).toBe(40);
      // No duplicate rows: one checkpoint row per step, one job row, gap-free event sequences.
      const cps = await h.db.checkpoint.findMany({ where: { jobId: sft.id }, orderBy: { step: "asc" } });
      expect(cps.map((c) => c.step)).toEqual([10, 20, 30, 40]);
      expect(await h.db.job.count({ where: { experimentId: exp.id, name: sft.name } })).toBe(1);
      const seqs = (await h.db.jobEvent.findMany({ where: { experimentId: exp.id }, orderBy: { experimentSeq: "asc" } })).map(
        (e) => e.experimentSeq,
      );
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    },
  );

  it("cancel under load reaches every running trainer process within 10 s", { timeout: 150_000 }, async () => {
    worker = await startServiceWorker(h.db, h.prefix, artifactDir);
    const ids: string[] = [];
    for (const name of ["load-1", "load-2"])
      ids.push((await submitExperiment(h, tiny(name, { maxSteps: 100_000, saveSteps: 100_000 }))).id);
    const sfts = await Promise.all(ids.map((id) => waitFor(() => h.db.job.findFirst({ where: { experimentId: id, kind: "sft" } }))));
    // Both trainers running (and logging metrics: the load) before the cancel.
    for (const j of sfts) await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId: j.id, type: "metrics" } }), 90_000, 200);
    const pids = (await Promise.all(sfts.map((j) => trainerPids(j.id)))).flat();
    expect(pids).toHaveLength(2);
    for (const p of pids) expect(groupAlive(p)).toBe(true);
    const t0 = Date.now();
    for (const id of ids) {
      const res = await h.app.inject({ method: "POST", url: `/v1/experiments/${id}/cancel`, headers: auth(h.key) });
      expect(res.statusCode).toBeLessThan(300);
    }
    await waitFor(async () => pids.every((p) => !groupAlive(p)) || null, 10_000, 50);
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const id of ids) expect((await experimentEnd(h, id, 20_000)).state).toBe("cancelled");
  });
});
