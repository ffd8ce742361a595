/**
 * Failure drills (docs/failure-modes.md#drills): real Postgres, Redis, worker processes and
 * Python trainer processes; each asserts on the data left behind (counts, no duplicates, nothing
 * lost). Tiny models and datasets keep the file short.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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

/** A service worker in its own process (tests/helpers/worker-process.ts), once it consumes jobs. */
async function spawnWorkerProcess(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", "tests/helpers/worker-process.ts"], {
    env: { ...process.env, DRILL_DB_URL: h.tdb.url, DRILL_PREFIX: h.prefix, DRILL_ARTIFACTS: artifactDir, DRILL_LEASE_MS: "3000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && resolve());
    proc.once("exit", (code) => reject(new Error(`worker process exited (${code})`)));
  });
  return proc;
}

/** SIGKILL a process and wait until it is gone. */
async function sigkill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await gone;
}

/** Live processes whose command line contains `needle` (the eval job's serve processes name their run id). */
function processesNaming(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const state = readFileSync(`/proc/${name}/stat`, "utf8").split(") ").at(-1)!.split(" ")[0];
      if (state !== "Z" && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(needle)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
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
      child = await spawnWorkerProcess();
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

  it(
    "worker SIGKILLed mid-evaluation: the retry scores only the items not yet stored, no duplicate rows (was: a completed checkpoint served and announced again, the dead worker's model server left running)",
    { timeout: 240_000 },
    async () => {
      const splits = ["id", "alpha"];
      const n = 12;
      const steps = [10, 20];
      const perCheckpoint = splits.length * n;
      const total = steps.length * perCheckpoint;
      // A subscriber to eval.completed: it must hear of each checkpoint once (its deliveries stay queued).
      const hook = await h.db.webhookEndpoint.create({
        data: { projectId: h.projectId, url: "https://hooks.invalid/eval", events: ["eval.completed"], secrets: ["whsec_dGVzdA=="] },
      });
      child = await spawnWorkerProcess();
      const exp = await submitExperiment(h, {
        ...tiny("eval-killed", { maxSteps: 20, saveSteps: 10 }),
        datasets: { train: { size: 12 }, eval: { size: n } },
        splits,
      });
      const evalJob = exp.jobs.find((j) => j.name.startsWith("eval:"))!;
      const stored = () =>
        h.db.evalItem.findMany({
          where: { evalResult: { jobId: evalJob.id } },
          select: { id: true, createdAt: true, itemIndex: true, itemKey: true, evalResult: { select: { step: true, split: true } } },
          orderBy: { id: "asc" },
        });
      // Kill once the second checkpoint has an item stored: the first is then complete and the second
      // partly scored. Its 24 items are more than the 16 in flight, so its last item only starts
      // once its first one is stored and takes a whole multi-turn episode after it.
      await waitFor(
        async () => (await h.db.evalItem.count({ where: { evalResult: { jobId: evalJob.id, step: 20 } } })) > 0 || null,
        180_000,
        20,
      );
      await sigkill(child);
      child = null;
      const before = await stored();
      expect(before.filter((i) => i.evalResult.step === 10)).toHaveLength(perCheckpoint);
      expect(before.length).toBeLessThan(total);
      // The dead worker's model server stops by itself (it used to serve on for ever).
      expect(processesNaming(`${evalJob.id}-serve-20-a1`)).not.toEqual([]);
      await waitFor(() => processesNaming(`${evalJob.id}-serve-20-a1`).length === 0 || null, 15_000, 100);

      worker = await startServiceWorker(h.db, h.prefix, artifactDir);
      await waitFor(async () => ((await worker!.reconcile()).reclaimed > 0 ? true : null), 30_000, 500);
      const job = await waitFor(
        async () => {
          const j = await h.db.job.findUniqueOrThrow({ where: { id: evalJob.id } });
          return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
        },
        120_000,
        250,
      );
      expect(job, JSON.stringify(job.error)).toMatchObject({ state: "succeeded", attempts: 2 });

      // Every item exactly once; the rows stored before the kill untouched.
      const after = await stored();
      expect(after).toHaveLength(total);
      const keys = after.map((i) => `${i.evalResult.step}/${i.evalResult.split}/${i.itemIndex}`);
      expect(new Set(keys).size).toBe(total);
      const byId = new Map(after.map((i) => [i.id, i]));
      for (const b of before) expect(byId.get(b.id)).toEqual(b);
      const results = await h.db.evalResult.findMany({ where: { jobId: evalJob.id }, orderBy: [{ step: "asc" }, { split: "asc" }] });
      expect(results.map((r) => [r.step, r.split, r.n])).toEqual(steps.flatMap((s) => [...splits].sort().map((sp) => [s, sp, n])));

      // The second attempt asked exactly the items no row held, and stored each once.
      const events = await h.db.jobEvent.findMany({ where: { jobId: evalJob.id }, orderBy: { seq: "asc" } });
      const retryStart = events.filter((e) => e.type === "status" && (e.data as { state: string }).state === "running")[1]!;
      const counts = events
        .filter((e) => e.type === "log" && e.seq > retryStart.seq)
        .map((e) => /checkpoint step (\d+): asked (\d+) items, (\d+) already stored/.exec((e.data as { message: string }).message))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ step: Number(m[1]), asked: Number(m[2]), reused: Number(m[3]) }));
      const storedByRetry = after.filter((i) => i.createdAt >= retryStart.createdAt).length;
      expect(counts.map((c) => c.step)).toEqual(steps);
      for (const c of counts) expect(c.asked + c.reused).toBe(perCheckpoint);
      expect(counts[0]).toMatchObject({ asked: 0, reused: perCheckpoint });
      expect(counts.reduce((a, c) => a + c.asked, 0)).toBe(storedByRetry);
      expect(total - storedByRetry).toBeGreaterThanOrEqual(before.length);
      // One `eval` event per checkpoint and split, one eval.completed per checkpoint: the retry skips
      // the checkpoint the dead worker completed instead of serving and announcing it again (it used to).
      const evalEvents = events.filter((e) => e.type === "eval").map((e) => e.data as { step: number; split: string });
      expect(evalEvents.map((e) => `${e.step}/${e.split}`).sort()).toEqual(steps.flatMap((s) => splits.map((sp) => `${s}/${sp}`)).sort());
      const announced = await h.db.webhookDelivery.findMany({ where: { endpointId: hook.id, eventType: "eval.completed" } });
      expect(announced.map((d) => (d.payload as { data: { summary: { step: number } } }).data.summary.step).sort()).toEqual(steps);
      // No model server outlives the job (the dead worker's one included).
      await waitFor(() => processesNaming(`${evalJob.id}-serve-`).length === 0 || null, 30_000, 100);
      expect((await experimentEnd(h, exp.id, 60_000, 250)).state).toBe("succeeded");
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
