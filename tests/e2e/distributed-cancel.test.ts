/**
 * A cancel of a two-rank job through the service (process backend): SIGTERM reaches both ranks,
 * they end cleanly (no traceback in either rank's kept stderr) and the job is cancelled.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { auth, experimentEnd, submitExperiment } from "../helpers/api.js";
import { waitFor } from "../helpers/worker.js";
import { artifactDir, done, h, serviceHarness } from "./distributed-helpers.js";

serviceHarness();

it("process backend: a cancel (SIGTERM) stops both ranks", { timeout: 300_000 }, async () => {
  const exp = await submitExperiment(h, {
    preset: "demo-cpu",
    name: "two ranks cancelled",
    arms: [{ name: "frozen-ans", method: "sft", data: "frozen", target: "answer" }],
    datasets: { train: { size: 12 }, eval: { size: 1 } },
    splits: ["id"],
    model: { dModel: 32, layers: 1, heads: 2 },
    sft: { batchSize: 4, maxSteps: 100_000, saveSteps: 100_000 },
    compute: { processes: 2 },
  });
  const job = await waitFor(() => h.db.job.findFirst({ where: { experimentId: exp.id, kind: "sft" } }), 60_000);
  await waitFor(() => h.db.jobEvent.findFirst({ where: { jobId: job.id, type: "metrics" } }), 200_000, 200);
  const logs = (await h.db.jobEvent.findMany({ where: { jobId: job.id, type: "log" } })).map(
    (e) => (e.data as { message: string }).message,
  );
  const pids = [...(logs.find((m) => m.startsWith("ranks started:")) ?? "").matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(2);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  expect(pids.every(alive)).toBe(true);
  await h.app.inject({ method: "POST", url: `/v1/experiments/${exp.id}/cancel`, headers: auth(h.key) });
  await waitFor(async () => !pids.some(alive), 30_000, 100);
  expect((await done(job.id)).state).toBe("cancelled");
  expect((await experimentEnd(h, exp.id, 60_000, 250)).state).toBe("cancelled");
  const runDir = join(artifactDir, "checkpoints", exp.id);
  for (const f of ["rank-0.stderr.log", "rank-1.stderr.log"]) {
    const found = spawnSync("find", [runDir, "-name", f], { encoding: "utf8" }).stdout.trim().split("\n")[0]!;
    expect(found).not.toBe("");
    expect(readFileSync(found, "utf8")).not.toContain("Traceback");
  }
});
