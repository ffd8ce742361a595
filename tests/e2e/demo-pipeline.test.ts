/**
 * End to end, everything real: the demo-cpu preset (shrunk to a few steps and items) runs
 * dataset-build → SFT (Python trainer on the process backend) → eval (serve mode + harness) on
 * every split through the worker, Postgres and Redis; the matrix has every cell; a webhook
 * receiver started here gets `eval.completed` with a signature it verifies.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { verifyWebhook } from "@trainyard/contracts";
import type { RunningWorker } from "../../apps/worker/src/index.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../helpers/api.js";
import { startServiceWorker, waitFor } from "../helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker;
let receiver: Server;
let receiverUrl: string;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-e2e-"));
const received: { headers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  h = await startApiHarness({ webhookAllowPrivate: true, artifactDir });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const addr = receiver.address() as { port: number };
  receiverUrl = `http://127.0.0.1:${addr.port}/hook`;
  worker = await startServiceWorker(h.db, h.prefix, artifactDir, { allowPrivateWebhooks: true });
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await new Promise((r) => receiver?.close(r));
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

it("runs the demo-cpu DAG for real and serves the full matrix", { timeout: 600_000 }, async () => {
  const hook = await h.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: auth(h.key),
    payload: { url: receiverUrl, events: ["eval.completed", "experiment.completed"] },
  });
  expect(hook.statusCode).toBe(201);
  const secret = hook.json().secret as string;

  const exp = await submitExperiment(h, {
    preset: "demo-cpu",
    // The demo's two SFT arms plus a warm-started GRPO arm (sft → grpo), all shrunk to seconds.
    arms: [
      { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
      { name: "diverse-ans", method: "sft", data: "diverse", target: "answer" },
      { name: "rl-warm", method: "sft-then-grpo", data: "frozen", target: "answer" },
    ],
    datasets: { train: { size: 12 }, eval: { size: 2 } },
    sft: { maxSteps: 4, saveSteps: 2, batchSize: 4 },
    grpo: {
      steps: 2,
      warmStartSteps: 2,
      numGenerations: 4,
      promptsPerBatch: 2,
      miniBatchPrompts: 2,
      maxCompletionLength: 16,
      saveSteps: 1,
    },
    model: { dModel: 32, layers: 1, heads: 2 },
  });
  const done = await experimentEnd(h, exp.id, 540_000, 500);
  const failures = done.jobs
    .filter((j: { state: string }) => j.state !== "succeeded")
    .map((j: { name: string; error: unknown }) => `${j.name}: ${JSON.stringify(j.error)}`);
  expect(failures).toEqual([]);
  expect(done.state).toBe("succeeded");

  const cps = await h.db.checkpoint.findMany({ where: { job: { experimentId: exp.id } } });
  expect(cps.length).toBeGreaterThanOrEqual(6); // steps 2 and 4 of both SFT arms, the GRPO steps
  const grpo = done.jobs.find((j: { name: string }) => j.name === "grpo:rl-warm:s0");
  const grpoMetrics = await h.db.jobEvent.findMany({ where: { jobId: grpo.id, type: "metrics" } });
  expect(grpoMetrics.length).toBeGreaterThan(0);
  expect(Object.keys((grpoMetrics[0]!.data as { values: Record<string, number> }).values)).toContain("reward");
  const metrics = await h.db.jobEvent.count({ where: { experimentId: exp.id, type: "metrics" } });
  expect(metrics).toBeGreaterThan(0);

  const m = (await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix`, headers: auth(h.key) })).json();
  expect(m.rows.map((r: { arm: string }) => r.arm)).toEqual(["frozen-ans", "diverse-ans", "rl-warm"]);
  for (const r of m.rows) {
    for (const s of m.splits) {
      expect(r.cells[s], `${r.arm}/${s}`).not.toBeNull();
      expect(r.cells[s].n).toBe(2);
    }
  }
  const items = await h.db.evalItem.count({ where: { evalResult: { experimentId: exp.id } } });
  const sftWarm = done.jobs.find((j: { name: string }) => j.name === "sft:rl-warm:s0").id;
  const evaluated = cps.filter((c) => c.jobId !== sftWarm).length; // checkpoints of the jobs the evals read
  expect(items).toBe(evaluated * 8 /* splits */ * 2 /* items */);

  const evalHook = await waitFor(async () => received.find((r) => JSON.parse(r.body).type === "eval.completed") ?? null, 30_000);
  const payload = verifyWebhook(secret, evalHook.headers, evalHook.body) as { type: string; data: { summary: { splits: unknown[] } } };
  expect(payload.type).toBe("eval.completed");
  expect(payload.data.summary.splits).toHaveLength(8);
});
