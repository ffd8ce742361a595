/**
 * Observability through the real API, Postgres, outbox relay, BullMQ and worker (handlers stubbed
 * as in orchestration.test.ts): what `/metrics` reports after a run, and the request id of a submit
 * (and of a cancel) in the worker's log lines for each job and in the trainer's environment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import type { RunEvent } from "@trainyard/compute";
import type { HandlerRegistry, JobHandler, RunningWorker } from "./index.js";
import { trainerRuntime } from "./handlers/index.js";
import { launchSpec } from "./handlers/launch.js";
import { auth, experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../../../tests/helpers/api.js";
import { startTestWorker, waitFor } from "../../../tests/helpers/worker.js";

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

const ok: JobHandler = async (ctx) => ({ ran: ctx.job.name });

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(): Promise<Sample[]> {
  const res = await h.app.inject({ method: "GET", url: "/metrics", headers: auth(h.operatorKey) });
  expect(res.statusCode).toBe(200);
  return res.body
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a sample: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The value of the one sample with this name and (at least) these labels; undefined when none. */
function sample(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

describe("/metrics after a run", () => {
  it("reports job durations per kind and final state, and scored evaluation items per outcome, from Postgres", async () => {
    // The eval stub stores one result with six items: one solved, two valid but unsolved, three invalid.
    const evalStub: JobHandler = async (ctx) => {
      const r = await ctx.db.evalResult.create({
        data: {
          experimentId: ctx.job.experimentId,
          jobId: ctx.job.id,
          arm: ctx.job.arm ?? "?",
          seed: ctx.job.seed ?? 0,
          split: "id",
          step: -1,
          n: 6,
          success: 1 / 6,
          validity: 3 / 6,
          meanReward: 1 / 6,
          metrics: {},
        },
      });
      const items = [
        { success: true, valid: true },
        ...Array(2).fill({ success: false, valid: true }),
        ...Array(3).fill({ success: false, valid: false }),
      ] as { success: boolean; valid: boolean }[];
      await ctx.db.evalItem.createMany({
        data: items.map((it, i) => ({
          evalResultId: r.id,
          itemIndex: i,
          itemKey: i,
          reward: it.success ? 1 : 0,
          turns: [],
          usage: {},
          ...it,
        })),
      });
      return { items: items.length };
    };
    const sft: JobHandler = async (ctx) => {
      if (ctx.job.arm === "bad") throw Object.assign(new Error("dataset has no rows"), { code: "TY_ERR_VALIDATION" });
      return ok(ctx);
    };
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": ok, sft, grpo: ok, eval: evalStub } });
    const exp = await submitExperiment(h, {
      preset: "demo-cpu",
      arms: [
        { name: "good", method: "sft", data: "frozen", target: "answer" },
        { name: "bad", method: "sft", data: "frozen", target: "answer" },
      ],
    });
    const done = await experimentEnd(h, exp.id);
    expect(done.state).toBe("failed");

    // A known duration: the dataset build took 100 s (between the 60 s and 300 s buckets).
    await h.db
      .$executeRaw`UPDATE jobs SET started_at = finished_at - interval '100 seconds' WHERE experiment_id = ${exp.id}::uuid AND kind = 'dataset-build'`;
    const jobs = await h.db.job.findMany({ where: { experimentId: exp.id } });
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect(byName.get("eval:bad:s0")).toMatchObject({ state: "cancelled", startedAt: null });
    const seconds = (name: string) => {
      const j = byName.get(name)!;
      return (j.finishedAt!.getTime() - j.startedAt!.getTime()) / 1000;
    };

    const m = await scrape();
    const H = "trainyard_job_duration_seconds";
    const count = (kind: string, state: string) => sample(m, `${H}_count`, { kind, state });
    const sum = (kind: string, state: string) => sample(m, `${H}_sum`, { kind, state });
    const bucket = (kind: string, state: string, le: string) => sample(m, `${H}_bucket`, { kind, state, le });

    expect(count("dataset-build", "succeeded")).toBe(1);
    expect(sum("dataset-build", "succeeded")).toBeCloseTo(100, 3);
    expect(bucket("dataset-build", "succeeded", "60")).toBe(0);
    expect(bucket("dataset-build", "succeeded", "300")).toBe(1);
    expect(bucket("dataset-build", "succeeded", "+Inf")).toBe(1);
    expect(count("sft", "succeeded")).toBe(1);
    expect(sum("sft", "succeeded")).toBeCloseTo(seconds("sft:good:s0"), 3);
    expect(count("sft", "failed")).toBe(1);
    expect(sum("sft", "failed")).toBeCloseTo(seconds("sft:bad:s0"), 3);
    expect(count("eval", "succeeded")).toBe(1);
    // The bad arm's eval was cancelled before it started: an outcome (trainyard_jobs), no duration.
    expect(count("eval", "cancelled")).toBeUndefined();
    expect(sample(m, "trainyard_jobs", { kind: "eval", state: "cancelled" })).toBe(1);
    // Buckets are cumulative and end at the count.
    const series = m.filter((s) => s.name === `${H}_bucket` && s.labels.kind === "dataset-build");
    expect(series.map((s) => s.value)).toEqual([...series.map((s) => s.value)].sort((a, b) => a - b));
    expect(series.map((s) => s.labels.le).at(-1)).toBe("+Inf");

    expect(sample(m, "trainyard_eval_items_total", { outcome: "success" })).toBe(1);
    expect(sample(m, "trainyard_eval_items_total", { outcome: "failure" })).toBe(2);
    expect(sample(m, "trainyard_eval_items_total", { outcome: "invalid" })).toBe(3);
    // What was there before: queue depth, job outcomes, webhook deliveries, HTTP latency.
    expect(m.some((s) => s.name === "trainyard_http_request_duration_seconds_count")).toBe(true);
    expect(sample(m, "trainyard_jobs", { kind: "sft", state: "failed" })).toBe(1);
  });
});

describe("request ids", () => {
  /** POST /v1/experiments (demo-cpu) with this x-request-id, or none; the answer and the id it came back with. */
  async function submitAs(reqId: string | null) {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/experiments",
      headers: { ...auth(h.key), ...(reqId ? { "x-request-id": reqId } : {}) },
      payload: { preset: "demo-cpu" },
    });
    expect(res.statusCode, res.body).toBe(201);
    return { exp: res.json() as { id: string; jobs: { id: string; name: string }[] }, reqId: String(res.headers["x-request-id"]) };
  }

  /** Every line the worker logs, parsed. */
  function capturingLogger() {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { lines, logger };
  }

  it("a submit's x-request-id is in every job's worker log lines and in the trainer's environment and start line", async () => {
    const { lines, logger } = capturingLogger();
    const starts: string[] = [];
    // The sft stub launches the real trainer as the training handler would (the process backend,
    // the job's launch spec) with a config that does not exist: it prints its start line and stops.
    const rt = trainerRuntime({
      TRAINYARD_PYTHON: process.env.TRAINYARD_PYTHON ?? "",
      TRAINER_IMAGE_CPU: "unused",
      TRAINER_IMAGE_GPU: "unused",
      K8S_NAMESPACE: "unused",
      K8S_ARTIFACT_PVC: "unused",
      DOCKER_SOCKET: "/var/run/docker.sock",
    });
    const envs: (string | undefined)[] = [];
    const sft: JobHandler = async (ctx) => {
      const launch = launchSpec(rt, ctx.spec, {
        runId: `${ctx.job.id}-a${ctx.job.attempts}`,
        args: ["sft", "--config", "/nonexistent/trainer-config.json"],
        artifactDir: ctx.artifactDir,
        experimentId: ctx.job.experimentId,
        requestId: ctx.job.requestId,
      });
      envs.push(launch.env?.TRAINYARD_REQUEST_ID);
      const run = await rt.backendFor("process").start(launch);
      for await (const ev of run.events() as AsyncIterable<RunEvent>) {
        if (ev.type === "status" && ev.state === "starting") starts.push(ev.message ?? "");
      }
      await run.wait();
      return ok(ctx);
    };
    const handlers: HandlerRegistry = { "dataset-build": ok, sft, grpo: ok, eval: ok };
    worker = await startTestWorker(h.db, h.prefix, { handlers, logger });

    const rid = "obs-submit-7c1f";
    const { exp, reqId: echoed } = await submitAs(rid);
    expect(echoed).toBe(rid);
    expect((await experimentEnd(h, exp.id)).state).toBe("succeeded");

    expect(exp.jobs.length).toBeGreaterThanOrEqual(3);
    for (const j of exp.jobs) {
      // The job's own logger (the runner's child for this job; not the delivery's "skipped" notes).
      const mine = lines.filter((l) => l.jobId === j.id && l.job === j.name);
      expect(
        mine.find((l) => l.msg === "job succeeded"),
        j.name,
      ).toMatchObject({ reqId: rid, experimentId: exp.id });
      expect(mine.every((l) => l.reqId === rid)).toBe(true);
    }
    // One trainer per training job (demo-cpu: one per arm), each given and naming the id.
    const trainings = exp.jobs.filter((j) => j.name.startsWith("sft:")).length;
    expect(trainings).toBeGreaterThanOrEqual(1);
    expect(envs).toEqual(Array(trainings).fill(rid));
    expect(starts).toHaveLength(trainings);
    for (const line of starts) expect(line).toMatch(new RegExp(`^trainyard_trainer \\S+ sft request ${rid}$`));

    // Without a header the API's own id is used, and the jobs carry that one.
    const other = await submitAs(null);
    const generated = other.reqId;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await experimentEnd(h, other.exp.id);
    expect(envs.slice(trainings)).toEqual(Array(trainings).fill(generated));
    for (const line of starts.slice(trainings)) expect(line).toMatch(new RegExp(`sft request ${generated}$`));
  });

  it("a cancel's x-request-id reaches the cancelled jobs' payloads and the worker's cancel log lines", async () => {
    const { lines, logger } = capturingLogger();
    let running = false;
    const blocked: JobHandler = (ctx) =>
      new Promise((_, rej) => {
        running = true;
        ctx.signal.addEventListener("abort", () => rej(new Error("aborted")));
      });
    worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": ok, sft: blocked, grpo: ok, eval: ok }, logger });
    const { exp } = await submitAs("obs-submit-2");
    await waitFor(async () => running);
    const cancel = await h.app.inject({
      method: "POST",
      url: `/v1/experiments/${exp.id}/cancel`,
      headers: { ...auth(h.key), "x-request-id": "obs-cancel-2" },
    });
    expect(cancel.statusCode).toBe(202);
    expect((await experimentEnd(h, exp.id)).state).toBe("cancelled");

    const sftJobs = exp.jobs.filter((j) => j.name.startsWith("sft:")).map((j) => j.id);
    const evalJob = exp.jobs.find((j) => j.name.startsWith("eval:"))!;
    // The running training jobs were stopped: their cancel lines carry both ids.
    for (const id of sftJobs) {
      const cancelled = lines.find((l) => l.jobId === id && l.msg === "job cancelled");
      expect(cancelled).toMatchObject({ reqId: "obs-submit-2", cancelReqId: "obs-cancel-2" });
    }
    const requested = lines.find((l) => l.msg === "cancel requested") as { jobIds: string[] } | undefined;
    expect(requested).toMatchObject({ cancelReqId: "obs-cancel-2" });
    expect([...requested!.jobIds].sort()).toEqual([...sftJobs].sort());
    // A queued job was cancelled at once: its payload records who cancelled it.
    const stored = await h.db.job.findUniqueOrThrow({ where: { id: evalJob.id } });
    expect(stored.state).toBe("cancelled");
    expect(stored.payload).toMatchObject({ requestId: "obs-submit-2", cancelRequestId: "obs-cancel-2" });
  });
});
