/**
 * The `sft` job for real, through the worker, the process backend and the Python trainer:
 * the loss falls and the weights move (Hugging Face checkpoints on disk, hashes as recorded), a cancel
 * stops the trainer's whole process group within 10 s, and a trainer killed mid-run fails its
 * attempt as `crashed` with its logs kept, then the retry resumes exactly from its last checkpoint
 * (optimizer and scheduler included: the trainer is told `resume_from`, and steps stay global).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalArtifactStore } from "../../packages/datasets/src/index.js";
import type { RunningWorker } from "../../apps/worker/src/index.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../helpers/api.js";
import { startServiceWorker, waitFor } from "../helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-train-"));

beforeAll(async () => {
  h = await startApiHarness({ artifactDir });
  worker = await startServiceWorker(h.db, h.prefix, artifactDir);
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

/** One frozen answer-only SFT arm on a few levels of the demo preset; eval on ID only. */
async function submit(name: string, sft: Record<string, unknown>): Promise<string> {
  const exp = await submitExperiment(h, {
    preset: "demo-cpu",
    name,
    arms: [{ name: "frozen-ans", method: "sft", data: "frozen", target: "answer" }],
    datasets: { train: { size: 12 }, eval: { size: 1 } },
    splits: ["id"],
    sft: { batchSize: 4, learningRate: 3e-3, warmupRatio: 0, ...sft },
    model: { dModel: 32, layers: 1, heads: 2 },
  });
  return exp.id;
}

async function sftJob(experimentId: string) {
  return waitFor(() => h.db.job.findFirst({ where: { experimentId, kind: "sft" } }));
}

/** The trainer's process group id, from the job's "trainer started on process (PID)" log line. */
async function trainerPid(jobId: string, attempt = 1): Promise<number> {
  return waitFor(async () => {
    const logs = await h.db.jobEvent.findMany({ where: { jobId, type: "log" }, orderBy: { seq: "asc" } });
    const started = logs
      .map((e) => /trainer started on process \((\d+)\)/.exec((e.data as { message: string }).message))
      .filter((m): m is RegExpExecArray => m !== null);
    return started.length >= attempt ? Number(started[attempt - 1]![1]) : null;
  }, 60_000);
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

const finished = (experimentId: string) => experimentEnd(h, experimentId, 300_000, 250);

describe("sft job, real trainer", () => {
  it("trains: the loss falls, the weights change, checkpoints on disk match their recorded sha256", { timeout: 300_000 }, async () => {
    const id = await submit("learns", { maxSteps: 30, saveSteps: 10 });
    const started = await sftJob(id);
    const job = await waitFor(async () => {
      const j = await h.db.job.findUnique({ where: { id: started.id } });
      return j && ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
    }, 240_000);
    expect(job.state).toBe("succeeded");
    // Evaluating the checkpoints is the demo pipeline test's subject: stop the rest of the DAG.
    await h.app.inject({ method: "POST", url: `/v1/experiments/${id}/cancel`, headers: auth(h.key) });

    const metrics = await h.db.jobEvent.findMany({ where: { jobId: job.id, type: "metrics" }, orderBy: { seq: "asc" } });
    const losses = metrics.map((m) => (m.data as { values: { loss: number } }).values.loss);
    expect(losses.length).toBeGreaterThanOrEqual(3);
    const head = losses.slice(0, 3).reduce((a, b) => a + b, 0) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
    expect(tail).toBeLessThan(head * 0.8);
    const steps = metrics.map((m) => (m.data as { step: number }).step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect((metrics.at(-1)!.data as { maxSteps: number }).maxSteps).toBe(30);

    const store = new LocalArtifactStore(artifactDir);
    const cps = await h.db.checkpoint.findMany({ where: { jobId: job.id }, orderBy: { step: "asc" } });
    expect(cps.map((c) => c.step)).toEqual([10, 20, 30]);
    for (const c of cps) {
      // A standard Hugging Face directory: the event's sha256 is the safetensors file's.
      const weights = join(store.pathFor(c.uri), "model.safetensors");
      expect(existsSync(weights), weights).toBe(true);
      expect(sha256(weights)).toBe(c.sha256);
    }
    // Different weights at every save: the parameters moved between checkpoints.
    expect(new Set(cps.map((c) => c.sha256)).size).toBe(3);
    const cpEvents = await h.db.jobEvent.count({ where: { jobId: job.id, type: "checkpoint" } });
    expect(cpEvents).toBe(3);
    expect(job.progress).toBe(1);
  });

  it("cancel: the trainer's process group is gone within 10 s and the job is cancelled", { timeout: 180_000 }, async () => {
    const id = await submit("cancelled", { maxSteps: 100_000, saveSteps: 100_000 });
    const job = await sftJob(id);
    const pid = await trainerPid(job.id);
    await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId: job.id, type: "metrics" } }), 60_000);
    expect(groupAlive(pid)).toBe(true);

    const t0 = Date.now();
    const res = await h.app.inject({ method: "POST", url: `/v1/experiments/${id}/cancel`, headers: auth(h.key) });
    expect(res.statusCode).toBeLessThan(300);
    await waitFor(async () => !groupAlive(pid), 10_000, 50);
    const gone = Date.now() - t0;
    const cancelled = await waitFor(async () => {
      const j = await h.db.job.findUnique({ where: { id: job.id } });
      return j?.state === "cancelled" ? j : null;
    }, 10_000);
    expect(gone).toBeLessThan(10_000);
    expect(cancelled.state).toBe("cancelled");
    expect((await finished(id)).state).toBe("cancelled");
  });

  it(
    "a killed trainer fails its attempt as crashed with its logs kept; the retry resumes from the last checkpoint",
    { timeout: 300_000 },
    async () => {
      const id = await submit("killed", { maxSteps: 300, saveSteps: 20 });
      const job = await sftJob(id);
      const pid = await trainerPid(job.id);
      const cp = await waitFor(
        () => h.db.checkpoint.findFirst({ where: { jobId: job.id, step: { gte: 20 } }, orderBy: { step: "desc" } }),
        120_000,
      );
      process.kill(-pid, "SIGKILL");

      // The failed attempt is on record, with its kind and error, and the job goes back to the queue.
      const failedAttempt = await waitFor(async () => {
        const evs = await h.db.jobEvent.findMany({ where: { jobId: job.id, type: "status" }, orderBy: { seq: "asc" } });
        return evs.find((e) => (e.data as { failureKind?: string }).failureKind === "crashed") ?? null;
      }, 30_000);
      const data = failedAttempt.data as { state: string; attempt: number; error: { code: string; message: string } };
      expect(data.state).toBe("queued");
      expect(data.attempt).toBe(1);
      expect(data.error.code).toBe("TY_ERR_COMPUTE_CRASHED");
      expect(data.error.message).toMatch(/SIGKILL/);

      // Attempt 2 starts from the checkpoint attempt 1 left (or a later one), not from scratch.
      const pid2 = await trainerPid(job.id, 2);
      expect(pid2).not.toBe(pid);
      const resumed = await waitFor(async () => {
        const logs = await h.db.jobEvent.findMany({ where: { jobId: job.id, type: "log" }, orderBy: { seq: "asc" } });
        return logs.map((e) => (e.data as { message: string }).message).find((m) => m.startsWith("attempt 2: resuming from")) ?? null;
      });
      const from = Number(/\(step (\d+)\)/.exec(resumed)![1]);
      expect(from).toBeGreaterThanOrEqual(cp.step);
      // The trainer is told to resume (optimizer, scheduler, RNG, data order), not to warm-start.
      const runDir = dirname(new LocalArtifactStore(artifactDir).pathFor(cp.uri));
      const cfg2 = JSON.parse(readFileSync(join(runDir, "config-attempt-2.json"), "utf8")) as Record<string, unknown>;
      expect(cfg2).toMatchObject({ resume_from: join(runDir, `checkpoint-${from}`), init_from: "", max_steps: 300 });

      const done = await waitFor(async () => {
        const j = await h.db.job.findUnique({ where: { id: job.id } });
        return j && ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
      }, 240_000);
      expect(done.state).toBe("succeeded");
      // The eval of every checkpoint is not what this test is about: stop the rest of the DAG.
      await h.app.inject({ method: "POST", url: `/v1/experiments/${id}/cancel`, headers: auth(h.key) });
      expect(done.attempts).toBe(2);
      // Attempt 1's log lines are still there alongside attempt 2's.
      const logCount = await h.db.jobEvent.count({ where: { jobId: job.id, type: "log" } });
      expect(logCount).toBeGreaterThan(4);
      // Steps continue from the resume point: attempt 2's metrics start after it and end at 300.
      const metrics = await h.db.jobEvent.findMany({ where: { jobId: job.id, type: "metrics" }, orderBy: { seq: "asc" } });
      const last = metrics.at(-1)!.data as { step: number; maxSteps: number };
      expect(last).toMatchObject({ step: 300, maxSteps: 300 });
      const cps = await h.db.checkpoint.findMany({ where: { jobId: job.id }, orderBy: { step: "desc" }, take: 1 });
      expect(cps[0]!.step).toBe(300);
    },
  );
});
