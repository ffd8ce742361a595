/**
 * End to end on the local Slurm cluster (`bash scripts/slurm.sh`): the demo-cpu preset, shrunk to
 * a few steps and items, with `"compute": {"backend": "slurm"}` runs through the API and the worker;
 * every SFT arm is a Slurm batch job running the Python trainer. Dataset-build, SFT per arm and
 * eval all succeed, `sacct` has the jobs, the job page shows their Slurm ids, and the matrix has
 * every cell.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "@trainyard/contracts";
import type { RunningWorker } from "../../apps/worker/src/index.js";
import { sacctRows, slurmCluster, slurmCmd } from "../../packages/compute/test/slurm-cluster.js";
import { auth, experimentEnd, getExperiment, startApiHarness, submitExperiment, type ApiHarness } from "../helpers/api.js";
import { startServiceWorker, waitFor } from "../helpers/worker.js";

const cluster = slurmCluster();
let h: ApiHarness;
let worker: RunningWorker;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-e2e-slurm-"));

beforeAll(async () => {
  if (!cluster) return;
  h = await startApiHarness({ artifactDir, compute: loadConfig({ SLURM_PARTITIONS: "debug*,batch" }) });
  worker = await startServiceWorker(h.db, h.prefix, artifactDir, { services: { SLURM_POLL_MS: 500 } });
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await h?.close();
  rmSync(artifactDir, { recursive: true, force: true });
});

it.runIf(cluster)(
  "runs a demo-cpu experiment on Slurm: every job succeeds, sacct has them, the matrix is full",
  { timeout: 600_000 },
  async () => {
    const exp = await submitExperiment(h, {
      preset: "demo-cpu",
      compute: { backend: "slurm" },
      datasets: { train: { size: 12 }, eval: { size: 2 } },
      sft: { maxSteps: 4, saveSteps: 2, batchSize: 4 },
      model: { dModel: 32, layers: 1, heads: 2 },
    });
    const done = await experimentEnd(h, exp.id, 540_000, 500);
    const failures = done.jobs
      .filter((j: { state: string }) => j.state !== "succeeded")
      .map((j: { name: string; error: unknown }) => `${j.name}: ${JSON.stringify(j.error)}`);
    expect(failures).toEqual([]);
    expect(done.state).toBe("succeeded");
    // The operator's default partition was filled in at submit.
    expect(done.spec.compute).toMatchObject({ backend: "slurm", partition: "debug" });

    const sft = done.jobs.filter((j: { kind: string }) => j.kind === "sft");
    expect(sft.map((j: { name: string }) => j.name).sort()).toEqual(["sft:diverse-ans:s0", "sft:frozen-ans:s0"]);
    const slurmIds: string[] = [];
    for (const j of sft) {
      // The job page shows where it ran; its events say so too.
      expect(j.compute).toMatchObject({ backend: "slurm", runId: `${j.id}-a1`, attempt: 1 });
      expect(j.compute.id).toMatch(/^\d+$/);
      slurmIds.push(j.compute.id);
      const logs = await h.db.jobEvent.findMany({ where: { jobId: j.id, type: "log" }, orderBy: { seq: "asc" } });
      const messages = logs.map((e) => (e.data as { message: string }).message);
      expect(messages).toContain(`trainer started on slurm (${j.compute.id})`);
      expect(messages.some((m) => new RegExp(`^slurm: job ${j.compute.id} RUNNING on `).test(m))).toBe(true);
      expect(await h.db.checkpoint.count({ where: { jobId: j.id } })).toBe(2);
    }

    // sacct: both batch jobs ran to completion in the default partition, under the job's run name.
    const rows = await waitFor(async () => {
      const r = slurmIds.map((id) => sacctRows(id).at(-1));
      return r.every((x) => x?.[0] === "COMPLETED" && x[4] === "debug") ? r : null;
    }, 30_000);
    expect(rows.map((r) => r?.slice(0, 2))).toEqual([
      ["COMPLETED", "0:0"],
      ["COMPLETED", "0:0"],
    ]);
    const table = slurmCmd("sacct", [
      "-X",
      "-j",
      slurmIds.join(","),
      "-o",
      "JobID,JobName%44,Partition,Account,QOS,State,ExitCode,Elapsed",
    ]);
    expect(table).toContain(`ty-${sft[0].id}-a1`);
    console.log(`sacct for experiment ${exp.id}:\n${table}`);

    const m = (await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix`, headers: auth(h.key) })).json();
    expect(m.rows.map((r: { arm: string }) => r.arm)).toEqual(["frozen-ans", "diverse-ans"]);
    for (const r of m.rows) {
      for (const s of m.splits) {
        expect(r.cells[s], `${r.arm}/${s}`).not.toBeNull();
        expect(r.cells[s].n).toBe(2);
      }
    }
    expect((await getExperiment(h, exp.id)).jobs.find((j: { kind: string }) => j.kind === "dataset-build").compute).toBeNull();
  },
);
