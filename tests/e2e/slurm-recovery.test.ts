/**
 * An `sft` job on the local Slurm cluster when things go wrong, everything real (Slurm, Postgres,
 * Redis, worker processes, the Python trainer):
 *  - a cancel through the API reaches scancel and the trainer within 10 s;
 *  - Slurm requeues the running job: the attempt ends as preempted, the retry resumes from the
 *    checkpoint the trainer saved on SIGTERM, in a new Slurm job;
 *  - the worker is SIGKILLed while its Slurm job runs: the next worker re-attaches to the same
 *    Slurm job, and every event of its output is recorded exactly once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseTrainerLine } from "@trainyard/contracts";
import type { RunningWorker } from "../../apps/worker/src/index.js";
import { sacctRows, slurmCluster, slurmCmd } from "../../packages/compute/test/slurm-cluster.js";
import { auth, startApiHarness, submitExperiment, type ApiHarness } from "../helpers/api.js";
import { redisUrl } from "../helpers/env.js";
import { startServiceWorker, waitFor } from "../helpers/worker.js";

const cluster = slurmCluster();
const python = process.env.TRAINYARD_PYTHON ?? "";
let h: ApiHarness;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-slurm-recovery-"));
const workers: RunningWorker[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (cluster) h = await startApiHarness({ artifactDir });
}, 60_000);

// Each test's workers go with it: a worker left running would take the next test's jobs.
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const w of workers.splice(0)) await w.close();
});

afterAll(async () => {
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

async function inProcessWorker(): Promise<RunningWorker> {
  const w = await startServiceWorker(h.db, h.prefix, artifactDir, { leaseMs: 3000, services: { SLURM_POLL_MS: 500 } });
  workers.push(w);
  return w;
}

/** One frozen answer-only SFT arm on Slurm; eval on ID only. */
async function submit(name: string, sft: Record<string, unknown>): Promise<{ experimentId: string; jobId: string }> {
  const exp = await submitExperiment(h, {
    preset: "demo-cpu",
    name,
    compute: { backend: "slurm" },
    arms: [{ name: "frozen-ans", method: "sft", data: "frozen", target: "answer" }],
    datasets: { train: { size: 12 }, eval: { size: 1 } },
    splits: ["id"],
    sft: { batchSize: 4, learningRate: 3e-3, warmupRatio: 0, ...sft },
    model: { dModel: 32, layers: 1, heads: 2 },
  });
  return { experimentId: exp.id, jobId: exp.jobs.find((j) => j.name === "sft:frozen-ans:s0")!.id };
}

/** A separate `trainyard serve --worker` process (the built CLI), so that it can be killed outright. */
function spawnWorker(): ChildProcess {
  const bin = fileURLToPath(new URL("../../apps/cli/bin/trainyard.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "serve", "--worker"], {
    env: {
      ...process.env,
      DATABASE_URL: h.tdb.url,
      REDIS_URL: redisUrl(),
      REDIS_PREFIX: h.prefix,
      ARTIFACT_DIR: artifactDir,
      TRAINYARD_PYTHON: python,
      JOB_LEASE_MS: "3000",
      RECONCILE_INTERVAL_MS: "600000",
      OUTBOX_POLL_MS: "50",
      SLURM_POLL_MS: "500",
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.once("exit", () => {
    // What the killed worker logged at `error` (nothing, normally) goes to the test's output.
    if (stderr.trim()) console.error(`worker ${child.pid} stderr:\n${stderr}`);
  });
  children.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

const job = (id: string) => h.db.job.findUniqueOrThrow({ where: { id } });
const messages = async (jobId: string) =>
  (await h.db.jobEvent.findMany({ where: { jobId, type: "log" }, orderBy: { seq: "asc" } })).map(
    (e) => (e.data as { message: string }).message,
  );
/** The Slurm job id of an attempt, from the job row once the trainer was submitted. */
const slurmJobOf = (jobId: string, attempt: number) =>
  waitFor(async () => {
    const c = (await job(jobId)).compute as { id: string | null; attempt: number } | null;
    return c?.id && c.attempt === attempt ? c.id : null;
  }, 120_000);
const ended = (jobId: string, timeoutMs = 240_000) =>
  waitFor(
    async () => {
      const j = await job(jobId);
      return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
    },
    timeoutMs,
    250,
  );
const squeueState = (id: string) => slurmCmd("squeue", ["-h", "-t", "all", "-j", id, "-o", "%T"]).trim();
const cancel = (experimentId: string) =>
  h.app.inject({ method: "POST", url: `/v1/experiments/${experimentId}/cancel`, headers: auth(h.key) });

describe.runIf(cluster)("sft on Slurm, failures", () => {
  it("cancelled while its worker is dead: the reconciler stops the Slurm job the worker left", { timeout: 180_000 }, async () => {
    const a = spawnWorker();
    const { experimentId, jobId } = await submit("slurm-orphan", { maxSteps: 100_000, saveSteps: 100_000 });
    const slurmId = await slurmJobOf(jobId, 1);
    await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId, type: "metrics" } }), 120_000);
    await kill(a);
    expect((await cancel(experimentId)).statusCode).toBeLessThan(300);
    expect(squeueState(slurmId)).toBe("RUNNING"); // nobody heard the cancel

    // Another worker's reconciler: the dead worker's lease expires, the job is cancelled, and the
    // Slurm job it left is stopped.
    const b = await inProcessWorker();
    await waitFor(async () => ((await b.reconcile()).released > 0 ? true : null), 30_000, 500);
    await waitFor(async () => (squeueState(slurmId) === "CANCELLED" ? true : null), 60_000, 250);
    const j = await job(jobId);
    expect(j.state).toBe("cancelled");
    expect(j.compute).toMatchObject({ id: slurmId, released: true });
    expect((await b.reconcile()).released).toBe(0); // once
  });

  it("cancel through the API: scancel reaches the trainer and the Slurm job is over within 10 s", { timeout: 180_000 }, async () => {
    await inProcessWorker();
    const { experimentId, jobId } = await submit("slurm-cancel", { maxSteps: 100_000, saveSteps: 100_000 });
    const slurmId = await slurmJobOf(jobId, 1);
    await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId, type: "metrics" } }), 90_000);
    expect(squeueState(slurmId)).toBe("RUNNING");

    const t0 = Date.now();
    expect((await cancel(experimentId)).statusCode).toBeLessThan(300);
    // COMPLETING while the trainer still runs; CANCELLED once every process of the job is gone.
    await waitFor(async () => squeueState(slurmId) === "CANCELLED", 10_000, 100);
    const gone = Date.now() - t0;
    expect(gone).toBeLessThan(10_000);
    expect((await ended(jobId, 30_000)).state).toBe("cancelled");
    // The trainer got SIGTERM and saved before it exited (a checkpoint only a stop produces here).
    expect(await h.db.checkpoint.count({ where: { jobId } })).toBeGreaterThanOrEqual(1);
  });

  it("a requeued Slurm job: the attempt ends as preempted and the retry resumes from its checkpoint", { timeout: 300_000 }, async () => {
    await inProcessWorker();
    const { experimentId, jobId } = await submit("slurm-requeue", { maxSteps: 600, saveSteps: 50 });
    const first = await slurmJobOf(jobId, 1);
    // Requeue right after the trainer's first save, read from its own output: the worker's events
    // may lag behind it on a busy machine, and a job that already completed would be requeued too.
    const out = join(artifactDir, "slurm", `ty-${jobId}-a1`, "stdout.log");
    const saved = () =>
      readFileSync(out, { encoding: "utf8", flag: "a+" })
        .split("\n")
        .some((l) => parseTrainerLine(l)?.type === "checkpoint");
    await waitFor(async () => saved() || null, 120_000, 100);
    expect(squeueState(first)).toBe("RUNNING");
    slurmCmd("scontrol", ["requeue", first]);

    // Attempt 2 runs in a new Slurm job, from the checkpoint attempt 1 saved when Slurm stopped it.
    const second = await slurmJobOf(jobId, 2);
    expect(second).not.toBe(first);
    const statuses = await h.db.jobEvent.findMany({ where: { jobId, type: "status" }, orderBy: { seq: "asc" } });
    const preempted = statuses.map((e) => e.data as { state: string; failureKind?: string; error?: { code: string } }).find((d) => d.error);
    expect(preempted).toMatchObject({ state: "queued", failureKind: "infra_error", error: { code: "TY_ERR_COMPUTE_PREEMPTED" } });
    // Log lines are written in batches: the line may land just after the Slurm job id does.
    const resumed = await waitFor(
      async () => (await messages(jobId)).find((m) => m.startsWith("attempt 2: resuming from")) ?? null,
      30_000,
      250,
    );
    const lastOfFirst = (await h.db.checkpoint.findFirst({ where: { jobId }, orderBy: { step: "desc" } }))!.step;
    expect(Number(/\(step (\d+)\)/.exec(resumed)?.[1])).toBe(lastOfFirst);

    const done = await ended(jobId);
    await cancel(experimentId); // the eval is not what this test is about
    expect(done).toMatchObject({ state: "succeeded", attempts: 2 });
    const metrics = await h.db.jobEvent.findMany({ where: { jobId, type: "metrics" }, orderBy: { seq: "asc" } });
    expect(metrics.at(-1)!.data).toMatchObject({ step: 600, maxSteps: 600 });
    // Slurm: the first job ran once (requeued, then cancelled by the backend before it could run
    // again: sacct records that cancel only sometimes, squeue always); the second completed.
    await waitFor(async () => (sacctRows(second).at(-1)?.[0] === "COMPLETED" ? true : null), 30_000);
    const firstRuns = sacctRows(first).map((r) => r[0]!.split(" ")[0]);
    expect(firstRuns[0]).toBe("REQUEUED");
    expect(firstRuns.slice(1).every((s) => s === "CANCELLED")).toBe(true);
    expect(slurmCmd("squeue", ["-h", "-t", "all", "-j", first, "-O", "State:|,RestartCnt:|"]).trim()).toBe("CANCELLED|1|");
  });

  it(
    "the worker is SIGKILLed while its Slurm job runs: the next one re-attaches, no event lost or doubled",
    { timeout: 400_000 },
    async () => {
      const a = spawnWorker();
      const { experimentId, jobId } = await submit("slurm-reattach", { maxSteps: 1500, saveSteps: 500 });
      const slurmId = await slurmJobOf(jobId, 1);
      await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId, type: "metrics" } }), 120_000);
      // Slurm pauses the trainer (SIGSTOP) while A is killed, lets it write for 2 s with nobody
      // reading, and pauses it again: it is certain to be still running when worker B re-attaches,
      // however slow B is to get the job back.
      slurmCmd("scontrol", ["suspend", slurmId]);
      await kill(a);
      slurmCmd("scontrol", ["resume", slurmId]);
      await new Promise((r) => setTimeout(r, 2000));
      slurmCmd("scontrol", ["suspend", slurmId]);
      expect(squeueState(slurmId)).toBe("SUSPENDED");

      // Worker B takes the job back once A's lease has expired, and re-attaches to A's Slurm job.
      const b = await inProcessWorker();
      await waitFor(async () => ((await b.reconcile()).reclaimed > 0 ? true : null), 30_000, 500);
      await waitFor(async () => ((await messages(jobId)).includes(`slurm: job ${slurmId} SUSPENDED`) ? true : null), 180_000, 250);
      expect(squeueState(slurmId)).toBe("SUSPENDED");
      slurmCmd("scontrol", ["resume", slurmId]);
      const done = await ended(jobId, 300_000);
      await cancel(experimentId);
      expect(done).toMatchObject({ state: "succeeded", attempts: 2 });
      expect(done.compute).toMatchObject({ backend: "slurm", id: slurmId, runId: `${jobId}-a1`, attempt: 1 });
      const logs = await messages(jobId);
      expect(logs).toContain(`re-attached to the trainer on slurm (${slurmId}) started by attempt 1; replaying its output`);
      // One Slurm job for the whole job: attempt 2 submitted none.
      expect(slurmCmd("sacct", ["-X", "-n", "-P", "--name", `ty-${jobId}-a2`, "-S", "now-1hour", "-o", "JobID"]).trim()).toBe("");

      // Exactly once: every metrics and checkpoint line of the run's output is one job event.
      const out = readFileSync(join(artifactDir, "slurm", `ty-${jobId}-a1`, "stdout.log"), "utf8").split("\n");
      const evs = out.map((l) => parseTrainerLine(l)).filter((e) => e !== null);
      const expectedSteps = evs.filter((e) => e.type === "metrics").map((e) => e.step);
      const metrics = await h.db.jobEvent.findMany({ where: { jobId, type: "metrics" }, orderBy: { seq: "asc" } });
      expect(metrics.map((m) => (m.data as { step: number }).step)).toEqual(expectedSteps);
      expect(expectedSteps.at(-1)).toBe(1500);
      const cpEvents = await h.db.jobEvent.findMany({ where: { jobId, type: "checkpoint" }, orderBy: { seq: "asc" } });
      expect(cpEvents.map((c) => (c.data as { step: number }).step)).toEqual(evs.filter((e) => e.type === "checkpoint").map((e) => e.step));
      // Every stderr line too (as warn logs), once each.
      const err = readFileSync(join(artifactDir, "slurm", `ty-${jobId}-a1`, "stderr.log"), "utf8")
        .split("\n")
        .filter((l) => l.trim());
      const warns = (await h.db.jobEvent.findMany({ where: { jobId, type: "log" } })).filter(
        (e) => (e.data as { src?: unknown }).src && (e.data as { level: string }).level === "warn",
      );
      expect(warns.map((e) => (e.data as { message: string }).message)).toEqual(err);
    },
  );
});
