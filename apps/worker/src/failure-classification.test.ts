/**
 * Error classification through the real worker, Redis, Postgres and (for the trainer cases) the
 * Python trainer on the process backend: one catalogue decides, permanent failures fail at once,
 * infrastructure failures retry. Regression tests for the defects issue 12 lists.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ComputeError, type ComputeErrorCode } from "@trainyard/compute";
import { LocalArtifactStore } from "@trainyard/datasets";
import type { JobHandler, RunningWorker } from "./index.js";
import { experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../../../tests/helpers/api.js";
import { startServiceWorker, startTestWorker } from "../../../tests/helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker | null = null;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-classify-"));

beforeAll(async () => {
  h = await startApiHarness({ artifactDir });
}, 60_000);
afterEach(async () => {
  await worker?.close();
  worker = null;
});
afterAll(async () => {
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

const ok: JobHandler = async () => ({ ok: true });
const oneArm = {
  preset: "demo-cpu",
  arms: [{ name: "a", method: "sft", data: "frozen", target: "answer" }],
  datasets: { train: { size: 8 }, eval: { size: 1 } },
  splits: ["id"],
  sft: { maxSteps: 2, batchSize: 4 },
  model: { dModel: 16, layers: 1, heads: 2 },
};

type JobRow = { name: string; kind: string; state: string; attempts: number; failureKind: string | null; error: { code: string } | null };
async function runToEnd(body: Record<string, unknown> = oneArm): Promise<JobRow[]> {
  const exp = await submitExperiment(h, body);
  const done = await experimentEnd(h, exp.id, 120_000, 100);
  return done.jobs as JobRow[];
}
const sftOf = (jobs: JobRow[]) => jobs.find((j) => j.kind === "sft")!;

describe("one catalogue decides retry", () => {
  it.each<[ComputeErrorCode, string]>([
    ["TY_ERR_COMPUTE_SPAWN_FAILED", "config_error"],
    ["TY_ERR_COMPUTE_CONFLICT", "infra_error"],
    ["TY_ERR_COMPUTE_EVENTS_TAKEN", "infra_error"],
  ])("runner honours the compute catalogue's retry flag: %s is not retried", async (code, kind) => {
    let calls = 0;
    const fail: JobHandler = async () => {
      calls++;
      throw new ComputeError(code, `simulated ${code}`);
    };
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": ok, sft: fail, grpo: ok, eval: ok } });
    const sft = sftOf(await runToEnd());
    expect(sft).toMatchObject({ state: "failed", attempts: 1, failureKind: kind, error: { code } });
    expect(calls).toBe(1);
  });

  it("infrastructure failures are retried (TY_ERR_COMPUTE_UNAVAILABLE, then success)", async () => {
    let calls = 0;
    const flaky: JobHandler = async () => {
      if (++calls === 1) throw new ComputeError("TY_ERR_COMPUTE_UNAVAILABLE", "docker daemon unreachable");
      return { ok: true };
    };
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": ok, sft: flaky, grpo: ok, eval: ok } });
    expect(sftOf(await runToEnd())).toMatchObject({ state: "succeeded", attempts: 2 });
  });
});

describe("permanent failures fail at once (real train handler)", () => {
  it("dataset missing is a user_error, not retried as TY_ERR_DEPENDENCY_UNAVAILABLE", async () => {
    // The dataset-build job "succeeds" without storing a dataset: the train job cannot find one.
    worker = await startServiceWorker(h.db, h.prefix, artifactDir, { handlers: { "dataset-build": ok } });
    const sft = sftOf(await runToEnd());
    expect(sft).toMatchObject({ state: "failed", attempts: 1, failureKind: "user_error", error: { code: "TY_ERR_ARTIFACT_MISSING" } });
  });

  it("missing trainer dependency (no torch) is a config_error, not retried as an infrastructure error", { timeout: 120_000 }, async () => {
    // A Python without torch/TRL: the real trainer says TY_ERR_NOT_AVAILABLE (as infra_error).
    worker = await startServiceWorker(h.db, h.prefix, artifactDir, { services: { TRAINYARD_PYTHON: "/usr/bin/python3" } });
    const jobs = await runToEnd();
    expect(jobs.find((j) => j.kind === "dataset-build")!.state).toBe("succeeded");
    expect(sftOf(jobs)).toMatchObject({
      state: "failed",
      attempts: 1,
      failureKind: "config_error",
      error: { code: "TY_ERR_NOT_AVAILABLE" },
    });
  });

  it(
    "a trainer executable that cannot start is TY_ERR_COMPUTE_SPAWN_FAILED, a config_error, not retried",
    { timeout: 120_000 },
    async () => {
      worker = await startServiceWorker(h.db, h.prefix, artifactDir, { services: { TRAINYARD_PYTHON: "/nonexistent/python3" } });
      const sft = sftOf(await runToEnd());
      expect(sft).toMatchObject({
        state: "failed",
        attempts: 1,
        failureKind: "config_error",
        error: { code: "TY_ERR_COMPUTE_SPAWN_FAILED" },
      });
    },
  );

  it("bad training data is a user_error from the real trainer, not retried", { timeout: 120_000 }, async () => {
    // The dataset-build job stores a dataset whose training file is not JSONL rows.
    const garbage: JobHandler = async (ctx) => {
      const store = new LocalArtifactStore(ctx.artifactDir);
      const key = `bad-datasets/${ctx.job.experimentId}`;
      await store.put(`${key}/train/frozen-answer.jsonl`, "this is not a JSON row\n");
      await ctx.db.dataset.create({
        data: { experimentId: ctx.job.experimentId, task: "sokoban", specHash: "bad", manifest: {}, uri: store.uri(key) },
      });
      return { ok: true };
    };
    worker = await startServiceWorker(h.db, h.prefix, artifactDir, { handlers: { "dataset-build": garbage } });
    const sft = sftOf(await runToEnd());
    expect(sft).toMatchObject({ state: "failed", attempts: 1, failureKind: "user_error", error: { code: "TY_ERR_TRAINER_DATA" } });
  });
});
