/**
 * Shared by the distributed-*.test.ts files: two-rank training through the service (the API,
 * the worker and a compute backend running the real trainer with `compute.processes: 2`, two
 * gloo ranks on the CPU), and the checks of one job: one set of events (each step's metrics once,
 * one checkpoint event per save), checkpoints that load with AutoModelForCausalLM, the SFT loss
 * falling, rewards on every GRPO step, both ranks' stderr kept.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { loadConfig } from "@trainyard/contracts";
import { LocalArtifactStore } from "../../packages/datasets/src/index.js";
import type { RunningWorker } from "../../apps/worker/src/index.js";
import { auth, startApiHarness, submitExperiment, type ApiHarness } from "../helpers/api.js";
import { startServiceWorker, waitFor } from "../helpers/worker.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const PYTHON = process.env.TRAINYARD_PYTHON || join(REPO, ".venv", "bin", "python");
export let h: ApiHarness;
let worker: RunningWorker;
export const artifactDir = mkdtempSync(join(tmpdir(), "ty-distributed-"));

/** An API and a worker for the calling test file (hooks registered in it). */
export function serviceHarness(): void {
  beforeAll(async () => {
    h = await startApiHarness({ artifactDir, compute: loadConfig({ SLURM_PARTITIONS: "debug*,batch" }) });
    worker = await startServiceWorker(h.db, h.prefix, artifactDir, { services: { SLURM_POLL_MS: 500 } });
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await h?.close();
    rmSync(artifactDir, { recursive: true, force: true });
  });
}

export const done = (id: string) =>
  waitFor(async () => {
    const j = await h.db.job.findUnique({ where: { id } });
    return j && ["succeeded", "failed", "cancelled"].includes(j.state) ? j : null;
  }, 400_000);

/** Loads with transformers' Auto classes; importing the copy head registers its model type (the demo's tiny model has one). */
function loads(path: string): void {
  const code =
    "import sys, trainyard_trainer.copyhead; from transformers import AutoModelForCausalLM; AutoModelForCausalLM.from_pretrained(sys.argv[1])";
  const r = spawnSync(PYTHON, ["-c", code, path], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, PYTHONPATH: join(REPO, "infra", "trainer") },
  });
  expect(r.status, r.stderr).toBe(0);
}

async function checkJob(jobId: string, kind: "sft" | "grpo"): Promise<void> {
  const store = new LocalArtifactStore(artifactDir);
  const metrics = await h.db.jobEvent.findMany({ where: { jobId, type: "metrics" }, orderBy: { seq: "asc" } });
  const steps = metrics.map((m) => (m.data as { step: number }).step);
  expect(steps.length).toBeGreaterThan(0);
  expect(new Set(steps).size, "each step's metrics once: only rank 0 speaks").toBe(steps.length);
  const cps = await h.db.checkpoint.findMany({ where: { jobId }, orderBy: { step: "asc" } });
  expect(cps.length).toBeGreaterThan(0);
  expect(await h.db.jobEvent.count({ where: { jobId, type: "checkpoint" } })).toBe(cps.length);
  for (const c of cps) loads(store.pathFor(c.uri));
  // The two ranks' stderr is kept beside the checkpoints.
  const runDir = dirname(store.pathFor(cps[0]!.uri));
  expect(existsSync(join(runDir, "logs", "rank-1.stderr.log"))).toBe(true);
  const logs = (await h.db.jobEvent.findMany({ where: { jobId, type: "log" } })).map((e) => (e.data as { message: string }).message);
  expect(logs.some((m) => m.startsWith("launching 2 process(es)"))).toBe(true);
  if (kind === "sft") {
    const losses = metrics.map((m) => (m.data as { values: { loss: number } }).values.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
  } else {
    expect(metrics.every((m) => (m.data as { values: Record<string, number> }).values.reward !== undefined)).toBe(true);
  }
}

/** sft-then-grpo on a few Sokoban levels: an SFT warm start and a GRPO job, both on 2 ranks. */
export async function runBoth(backend: "process" | "slurm"): Promise<void> {
  const exp = await submitExperiment(h, {
    preset: "demo-cpu",
    name: `two ranks on ${backend}`,
    arms: [{ name: "rl", method: "sft-then-grpo", data: "frozen", target: "answer" }],
    datasets: { train: { size: 12 }, eval: { size: 1 } },
    splits: ["id"],
    model: { dModel: 32, layers: 1, heads: 2 },
    sft: { batchSize: 4, learningRate: 1e-2, warmupRatio: 0 },
    grpo: {
      steps: 2,
      warmStartSteps: 8,
      numGenerations: 2,
      promptsPerBatch: 2,
      miniBatchPrompts: 2,
      maxCompletionLength: 16,
      saveSteps: 2,
    },
    compute: { backend, processes: 2 },
  });
  const grpo = await waitFor(() => h.db.job.findFirst({ where: { experimentId: exp.id, kind: "grpo" } }), 60_000);
  const finished = await done(grpo.id);
  await h.app.inject({ method: "POST", url: `/v1/experiments/${exp.id}/cancel`, headers: auth(h.key) });
  const sft = (await h.db.job.findFirst({ where: { experimentId: exp.id, kind: "sft" } }))!;
  expect(sft.state, JSON.stringify(sft.error)).toBe("succeeded");
  expect(finished.state, JSON.stringify(finished.error)).toBe("succeeded");
  await checkJob(sft.id, "sft");
  await checkJob(grpo.id, "grpo");
}
