/**
 * The experiment DAG through the real API, Postgres, outbox relay, BullMQ and worker, with job
 * handlers defined here (training and evaluation land in later packages).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { HandlerRegistry, JobHandler, RunningWorker } from "./index.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../../../tests/helpers/api.js";
import { startTestWorker, waitFor } from "../../../tests/helpers/worker.js";
import { deletePrefix } from "../../../tests/helpers/redis.js";

let h: ApiHarness;
let worker: RunningWorker | null = null;
beforeAll(async () => {
  h = await startApiHarness();
});
afterEach(async () => {
  await worker?.close();
  worker = null;
});
afterAll(async () => {
  await h?.close();
});

const ok: JobHandler = async (ctx) => {
  await ctx.progress(0.5);
  await ctx.log(`ran ${ctx.job.name}`);
  return { ran: ctx.job.name };
};
const allOk: HandlerRegistry = { "dataset-build": ok, sft: ok, grpo: ok, eval: ok };

const submit = (body: Record<string, unknown> = { preset: "demo-cpu" }) => submitExperiment(h, body);
const finished = (id: string) => experimentEnd(h, id);

describe("experiment DAG", () => {
  it("runs dataset-build → train → eval in dependency order and reports progress", async () => {
    const order: string[] = [];
    const record: JobHandler = async (ctx) => {
      order.push(ctx.job.name);
      return ok(ctx);
    };
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": record, sft: record, grpo: record, eval: record } });
    const exp = await submit({
      preset: "demo-cpu",
      arms: [
        { name: "a", method: "sft-then-grpo", data: "frozen", target: "cot" },
        { name: "b", method: "sft", data: "diverse", target: "answer" },
      ],
    });
    const done = await finished(exp.id);
    expect(done.state).toBe("succeeded");
    expect(done.progress).toBe(1);
    expect(done.jobs.every((j: { state: string; attempts: number }) => j.state === "succeeded" && j.attempts === 1)).toBe(true);
    expect(order[0]).toBe("dataset-build");
    const at = (n: string) => order.indexOf(n);
    expect(at("sft:a:s0")).toBeLessThan(at("grpo:a:s0"));
    expect(at("grpo:a:s0")).toBeLessThan(at("eval:a:s0"));
    expect(at("sft:b:s0")).toBeLessThan(at("eval:b:s0"));

    const events = (await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/events?limit=1000`, headers: auth(h.key) })).json()
      .items;
    expect(events.map((e: { experimentSeq: number }) => e.experimentSeq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    const build = exp.jobs.find((j) => j.name === "dataset-build")!;
    const states = events
      .filter((e: { jobId: string; type: string }) => e.jobId === build.id && e.type === "status")
      .map((e: { data: { state: string } }) => e.data.state);
    expect(states).toEqual(["queued", "running", "succeeded"]);
    expect(
      events.some((e: { type: string; data: { message?: string } }) => e.type === "log" && e.data.message === "ran dataset-build"),
    ).toBe(true);
  });

  it("retries infra errors only; a user error fails the job and skips its dependents", async () => {
    const tries = new Map<string, number>();
    const flaky: JobHandler = async (ctx) => {
      const n = (tries.get(ctx.job.name) ?? 0) + 1;
      tries.set(ctx.job.name, n);
      if (ctx.job.arm === "flaky" && n === 1) throw Object.assign(new Error("node lost"), { code: "TY_ERR_INFRA_NODE_LOST" });
      if (ctx.job.arm === "bad") throw Object.assign(new Error("dataset has no rows"), { code: "TY_ERR_VALIDATION" });
      return ok(ctx);
    };
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": ok, sft: flaky, grpo: flaky, eval: ok } });
    const exp = await submit({
      preset: "demo-cpu",
      arms: [
        { name: "flaky", method: "sft", data: "frozen", target: "answer" },
        { name: "bad", method: "sft", data: "frozen", target: "answer" },
      ],
    });
    const done = await finished(exp.id);
    const job = (n: string) => done.jobs.find((j: { name: string }) => j.name === n);
    expect(done.state).toBe("failed");
    expect(job("sft:flaky:s0")).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(job("eval:flaky:s0").state).toBe("succeeded");
    expect(job("sft:bad:s0")).toMatchObject({
      state: "failed",
      attempts: 1,
      failureKind: "user_error",
      error: { code: "TY_ERR_VALIDATION" },
    });
    expect(job("eval:bad:s0")).toMatchObject({ state: "cancelled", error: { code: "TY_ERR_JOB_CANCELLED" } });
    expect(tries.get("sft:bad:s0")).toBe(1);
  });

  it("fails a job that runs past its timeout as timed_out", async () => {
    const slow: JobHandler = (ctx) => new Promise((_, rej) => ctx.signal.addEventListener("abort", () => rej(new Error("aborted"))));
    worker = await startTestWorker(h.db, h.prefix, { handlers: { ...allOk, "dataset-build": slow }, timeouts: { "dataset-build": 300 } });
    const done = await finished((await submit()).id);
    expect(done.jobs[0]).toMatchObject({
      name: "dataset-build",
      state: "failed",
      failureKind: "timed_out",
      error: { code: "TY_ERR_JOB_TIMED_OUT" },
    });
  });
});

describe("cancellation", () => {
  it("reaches a running handler and cancels the rest of the DAG", async () => {
    let sawAbort: unknown = null;
    let started = false;
    const blocking: JobHandler = (ctx) =>
      new Promise((_, rej) => {
        started = true;
        ctx.signal.addEventListener("abort", () => {
          sawAbort = ctx.signal.reason;
          rej(new Error("stopped"));
        });
      });
    worker = await startTestWorker(h.db, h.prefix, { handlers: { ...allOk, "dataset-build": blocking } });
    const exp = await submit();
    await waitFor(async () => started);
    const t0 = Date.now();
    const res = await h.app.inject({ method: "POST", url: `/v1/experiments/${exp.id}/cancel`, headers: auth(h.key) });
    expect(res.statusCode).toBe(202);
    const done = await finished(exp.id);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(sawAbort).toBe("cancel");
    expect(done.state).toBe("cancelled");
    expect(done.jobs.every((j: { state: string }) => j.state === "cancelled")).toBe(true);
  });
});

describe("recovery", () => {
  it("restores queued jobs from Postgres after Redis is wiped", async () => {
    // A relay-only worker: jobs reach BullMQ but nobody consumes them.
    worker = await startTestWorker(h.db, h.prefix, { consume: false });
    const exp = await submit();
    const buildId = exp.jobs[0]!.id;
    const queue = worker.queues.get("dataset-build")!;
    await waitFor(async () => (await queue.getJob(buildId)) ?? null);
    await deletePrefix(h.redis, h.prefix); // Redis lost everything of this deployment
    expect(await queue.getJob(buildId)).toBeUndefined();
    const r = await worker.reconcile();
    expect(r.restored).toBeGreaterThanOrEqual(1);
    expect(await queue.getJob(buildId)).toBeDefined();
    await worker.close();
    worker = await startTestWorker(h.db, h.prefix, { handlers: allOk });
    expect((await finished(exp.id)).state).toBe("succeeded");
  });

  it("takes back a job whose worker died (expired lease) and runs it again", async () => {
    const { claimJob } = await import("@trainyard/db");
    worker = await startTestWorker(h.db, h.prefix, { consume: false });
    const exp = await submit();
    const buildId = exp.jobs[0]!.id;
    // A worker that claimed the job and then vanished: a short lease, no heartbeat.
    const claim = await claimJob(h.db, buildId, "ghost-worker", 100);
    expect("job" in claim).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    await worker.close();
    worker = await startTestWorker(h.db, h.prefix, { handlers: allOk });
    await deletePrefix(h.redis, h.prefix);
    const r = await worker.reconcile();
    expect(r.reclaimed).toBe(1);
    const done = await finished(exp.id);
    expect(done.state).toBe("succeeded");
    expect(done.jobs[0]).toMatchObject({ state: "succeeded", attempts: 2 });
  });

  it("duplicate delivery to the worker already running the attempt is skipped (regression: attempts 3 after a re-attach)", async () => {
    const { claimJob } = await import("@trainyard/db");
    worker = await startTestWorker(h.db, h.prefix, { consume: false });
    const exp = await submit();
    const buildId = exp.jobs[0]!.id;
    const first = await claimJob(h.db, buildId, "worker-b", 60_000);
    expect("job" in first && first.job.attempts).toBe(1);
    // BullMQ's stalled entry reaches the same worker while its handler still holds the lease.
    expect(await claimJob(h.db, buildId, "worker-b", 60_000)).toEqual({ skip: "already running here" });
    expect(await claimJob(h.db, buildId, "worker-c", 60_000)).toEqual({ skip: "running elsewhere" });
    const row = await h.db.job.findUniqueOrThrow({ where: { id: buildId } });
    expect([row.state, row.attempts, row.leaseOwner]).toEqual(["running", 1, "worker-b"]);
  });
});
