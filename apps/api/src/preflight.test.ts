/**
 * The preflight memory estimate at submit: a spec whose training job cannot fit its GPUs is a 400
 * TY_ERR_SPEC_MEMORY naming compute.resources.gpuMemoryGiB and the estimate, and nothing is
 * stored; GET /v1/presets shows each preset's estimate.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApiErrorBody } from "@trainyard/contracts";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

const post = (url: string, payload: Record<string, unknown>) => h.app.inject({ method: "POST", url, headers: auth(h.key), payload });

it("refuses the paper's 7B run on one 80 GiB GPU, or on four 24 GiB GPUs, naming the field and the estimate", async () => {
  const before = await h.db.experiment.count();
  for (const resources of [{ gpus: 1 }, { gpus: 4, gpuMemoryGiB: 24 }]) {
    for (const url of ["/v1/experiments", "/v1/experiments/validate"]) {
      const res = await post(url, { preset: "paper-sokoban", compute: { resources } });
      expect(res.statusCode, res.body).toBe(400);
      const body = ApiErrorBody.parse(res.json());
      expect(body.code).toBe("TY_ERR_SPEC_MEMORY");
      expect(body.issues?.[0]?.path).toEqual(["compute", "resources", "gpuMemoryGiB"]);
      expect(body.message).toMatch(/^compute\.resources\.gpuMemoryGiB: the grpo job needs about \d+(\.\d)? GiB per GPU/);
    }
  }
  expect(await h.db.experiment.count()).toBe(before);
  // The paper's own layout (4 GPUs, FSDP) passes.
  expect((await post("/v1/experiments/validate", { preset: "paper-sokoban" })).statusCode).toBe(200);
});

it("GET /v1/presets shows each preset's per-GPU estimate", async () => {
  const res = await h.app.inject({ method: "GET", url: "/v1/presets", headers: auth(h.key) });
  expect(res.statusCode).toBe(200);
  const items = res.json().items as { name: string; estimate: { perGpuGiB: number; fits: boolean; jobs: { strategy: string }[] } }[];
  const paper = items.find((i) => i.name === "paper-sokoban")!;
  expect(paper.estimate.fits).toBe(true);
  expect(paper.estimate.perGpuGiB).toBeGreaterThan(30);
  expect(paper.estimate.jobs.every((j) => j.strategy === "fsdp")).toBe(true);
  expect(items.find((i) => i.name === "demo-cpu")!.estimate.perGpuGiB).toBeLessThan(5);
  const one = await h.app.inject({ method: "GET", url: "/v1/presets/paper-general-points", headers: auth(h.key) });
  expect(one.json().estimate.perGpuGiB).toBeGreaterThan(30);
});
