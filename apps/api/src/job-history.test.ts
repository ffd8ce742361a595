/**
 * A job's checkpoints and attempts, and an experiment's curves, as a real worker leaves them:
 * a flaky SFT attempt fails with an infra error, the retry writes checkpoints and succeeds, and
 * its evaluation rows at three steps become curves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptView, CheckpointView, CurvesResponse } from "@trainyard/contracts";
import { createApiKey } from "@trainyard/db";
import type { JobHandler, RunningWorker } from "../../worker/src/index.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../../../tests/helpers/api.js";
import { startTestWorker } from "../../../tests/helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker;
let expId: string;
let seedsExpId: string;

const STEPS = [10, 20, 30];
const rate = (arm: string, split: string, step: number, seed = 0) =>
  (arm === "frozen-ans" ? step / 40 : split === "id" ? 0.5 : 0.25) + seed / 100;

beforeAll(async () => {
  h = await startApiHarness();
  const noop: JobHandler = async () => ({});
  const sft: JobHandler = async (ctx) => {
    // The single-seed experiment's frozen arm loses its node once (the attempts test).
    if (ctx.job.arm === "frozen-ans" && ctx.job.attempts === 1 && ctx.spec.seeds.length === 1) {
      throw Object.assign(new Error("node lost"), { code: "TY_ERR_DEPENDENCY_UNAVAILABLE" });
    }
    for (const step of STEPS) {
      await ctx.db.checkpoint.create({
        data: {
          jobId: ctx.job.id,
          step,
          uri: `artifact://ckpt/${ctx.job.name}/${step}`,
          sha256: "ab".repeat(32),
          servingName: `m-${step}`,
        },
      });
    }
    return {};
  };
  const evaluate: JobHandler = async (ctx) => {
    const seed = ctx.job.seed ?? 0;
    const train = await ctx.db.job.findFirstOrThrow({ where: { experimentId: ctx.job.experimentId, name: `sft:${ctx.job.arm}:s${seed}` } });
    const cps = await ctx.db.checkpoint.findMany({ where: { jobId: train.id } });
    // Stored newest step first: the curve must still come out in step order.
    for (const cp of cps.sort((a, b) => b.step - a.step)) {
      for (const split of ctx.spec.splits) {
        const s = rate(ctx.job.arm!, split, cp.step, seed);
        await ctx.db.evalResult.create({
          data: {
            experimentId: ctx.job.experimentId,
            jobId: ctx.job.id,
            checkpointId: cp.id,
            arm: ctx.job.arm!,
            seed,
            split,
            step: cp.step,
            n: 20,
            success: s,
            validity: 1,
            meanReward: s,
            metrics: {},
          },
        });
      }
    }
    return {};
  };
  worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": noop, sft, grpo: noop, eval: evaluate } });
  const exp = await submitExperiment(h, { preset: "demo-cpu", splits: ["id", "alpha", "fake"] });
  // repro-cpu trains every arm once per seed: each seed is its own curve.
  const seeds = await submitExperiment(h, { preset: "repro-cpu", seeds: [0, 1], splits: ["id", "num"] });
  expId = exp.id;
  seedsExpId = seeds.id;
  const done = await Promise.all([experimentEnd(h, exp.id, 60_000), experimentEnd(h, seeds.id, 60_000)]);
  expect(done.map((e) => e.state)).toEqual(["succeeded", "succeeded"]);
}, 90_000);
afterAll(async () => {
  await worker?.close();
  await h?.close();
});

const get = async (url: string) => {
  const res = await h.app.inject({ method: "GET", url, headers: auth(h.key) });
  return { status: res.statusCode, body: res.json() };
};
const jobId = async (name: string) => (await h.db.job.findFirstOrThrow({ where: { experimentId: expId, name } })).id;

describe("GET /v1/jobs/:id/attempts", () => {
  it("lists a retried attempt with its failure kind and error, then the one that succeeded", async () => {
    const { status, body } = await get(`/v1/jobs/${await jobId("sft:frozen-ans:s0")}/attempts`);
    expect(status).toBe(200);
    const items = body.items.map((a: unknown) => AttemptView.parse(a));
    expect(items.map((a: AttemptView) => [a.attempt, a.outcome, a.failureKind, a.error?.code ?? null])).toEqual([
      [1, "retried", "infra_error", "TY_ERR_DEPENDENCY_UNAVAILABLE"],
      [2, "succeeded", null, null],
    ]);
    expect(items[0].error.message).toContain("node lost");
    expect(Date.parse(items[0].endedAt)).toBeLessThanOrEqual(Date.parse(items[1].startedAt));
    const steady = await get(`/v1/jobs/${await jobId("sft:diverse-ans:s0")}/attempts`);
    expect(steady.body.items.map((a: AttemptView) => a.outcome)).toEqual(["succeeded"]);
  });
});

describe("GET /v1/jobs/:id/checkpoints", () => {
  it("lists the job's checkpoints by step", async () => {
    const { status, body } = await get(`/v1/jobs/${await jobId("sft:frozen-ans:s0")}/checkpoints`);
    expect(status).toBe(200);
    const items = body.items.map((c: unknown) => CheckpointView.parse(c));
    expect(items.map((c: CheckpointView) => c.step)).toEqual(STEPS);
    expect(items[0].uri).toBe("artifact://ckpt/sft:frozen-ans:s0/10");
    expect((await get(`/v1/jobs/${await jobId("dataset-build")}/checkpoints`)).body.items).toEqual([]);
  });
});

describe("GET /v1/experiments/:id/curves", () => {
  it("gives every arm × seed × split its evaluated checkpoints in step order, with the split's group", async () => {
    const { status, body } = await get(`/v1/experiments/${expId}/curves`);
    expect(status).toBe(200);
    const c = CurvesResponse.parse(body);
    expect(c.arms).toEqual(["frozen-ans", "diverse-ans"]);
    expect(c.curves.map((x) => `${x.arm}/${x.seed}/${x.split}/${x.group}`)).toEqual([
      "frozen-ans/0/id/id",
      "frozen-ans/0/alpha/instruction",
      "frozen-ans/0/fake/fake",
      "diverse-ans/0/id/id",
      "diverse-ans/0/alpha/instruction",
      "diverse-ans/0/fake/fake",
    ]);
    for (const curve of c.curves) {
      expect(curve.points.map((p) => p.step)).toEqual(STEPS);
      expect(curve.points.map((p) => p.success)).toEqual(STEPS.map((s) => rate(curve.arm, curve.split, s)));
      expect(curve.points.every((p) => p.n === 20)).toBe(true);
    }
    // Each point links to its evaluation row and items.
    const point = c.curves[0]!.points[1]!;
    const ev = await get(`/v1/evals/${point.evalId}`);
    expect(ev.body).toMatchObject({ arm: "frozen-ans", split: "id", step: 20 });
  });

  it("gives each seed of a multi-seed experiment its own curve, every checkpoint on every split", async () => {
    const c = CurvesResponse.parse((await get(`/v1/experiments/${seedsExpId}/curves`)).body);
    expect(c.curves.map((x) => `${x.arm}/${x.seed}/${x.split}`)).toEqual([
      "frozen-ans/0/id",
      "frozen-ans/0/num",
      "frozen-ans/1/id",
      "frozen-ans/1/num",
      "diverse-ans/0/id",
      "diverse-ans/0/num",
      "diverse-ans/1/id",
      "diverse-ans/1/num",
    ]);
    for (const curve of c.curves) {
      expect(curve.points.map((p) => p.step)).toEqual(STEPS);
      expect(curve.points.map((p) => p.success)).toEqual(STEPS.map((s) => rate(curve.arm, curve.split, s, curve.seed)));
    }
  });

  it("is a 404 for another project's experiment or a malformed id", async () => {
    expect((await get("/v1/experiments/not-a-uuid/curves")).body.code).toBe("TY_ERR_NOT_FOUND");
    const stranger = await createApiKey(h.db, "stranger");
    const other = await h.app.inject({ method: "GET", url: `/v1/experiments/${expId}/curves`, headers: auth(stranger.key) });
    expect(other.statusCode).toBe(404);
  });
});
