/**
 * The dashboard's SSE client (fetch + bearer header) against the real API's stream and a worker:
 * the server drops every connection mid-run, and the client resumes with Last-Event-ID so each
 * event arrives exactly once, in order, until the stream's `end`.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { JobHandler, RunningWorker } from "../../../worker/src/index.js";
import { experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "../../../../tests/helpers/api.js";
import { startTestWorker, waitFor } from "../../../../tests/helpers/worker.js";
import { followEvents, type StreamStatus } from "./sse";

let h: ApiHarness;
let worker: RunningWorker;
let base: string;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));

beforeAll(async () => {
  h = await startApiHarness({ ssePollMs: 30 });
  base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
  const handler: JobHandler = async (ctx) => {
    if (ctx.job.kind === "sft") {
      for (let i = 0; i < 5; i++) await ctx.log(`before ${i}`);
      await gate;
      for (let i = 0; i < 5; i++) await ctx.log(`after ${i}`);
    }
    return {};
  };
  worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": handler, sft: handler, grpo: handler, eval: handler } });
});
afterAll(async () => {
  release();
  await worker?.close();
  await h?.close();
});

it("resumes after a dropped connection without losing or repeating an event", { timeout: 60_000 }, async () => {
  const exp = await submitExperiment(h, { preset: "demo-cpu", arms: [{ name: "a", method: "sft", data: "frozen", target: "answer" }] });
  const ids: number[] = [];
  const messages: string[] = [];
  const statuses: StreamStatus[] = [];
  const ac = new AbortController();
  const done = followEvents<{ type: string; data: { message?: string } }>({
    url: `${base}/v1/experiments/${exp.id}/events/stream`,
    after: 0,
    headers: () => ({ authorization: `Bearer ${h.key}` }),
    signal: ac.signal,
    maxDelayMs: 200,
    onEvent: (e) => {
      ids.push(e.id);
      if (e.data.type === "log") messages.push(e.data.data.message ?? "");
    },
    onStatus: (s) => statuses.push(s),
  });
  await waitFor(async () => messages.includes("before 4") || null, 30_000);
  h.app.server.closeAllConnections();
  await waitFor(async () => statuses.includes("reconnecting") || null, 10_000);
  release();
  expect(await done).toBe("ended");
  await experimentEnd(h, exp.id);

  const all = await h.db.jobEvent.findMany({ where: { experimentId: exp.id }, orderBy: { experimentSeq: "asc" } });
  expect(ids).toEqual(all.map((e) => e.experimentSeq));
  expect(messages.filter((m) => /^(before|after) \d$/.test(m))).toEqual([
    ...[0, 1, 2, 3, 4].map((i) => `before ${i}`),
    ...[0, 1, 2, 3, 4].map((i) => `after ${i}`),
  ]);
  expect(statuses[0]).toBe("connecting");
  expect(statuses.filter((s) => s === "open").length).toBeGreaterThanOrEqual(2);
  expect(statuses.at(-1)).toBe("ended");
});

it("stops for good on a 4xx answer instead of retrying", async () => {
  const statuses: StreamStatus[] = [];
  const r = await followEvents({
    url: `${base}/v1/jobs/0b7a2f6e-5c1d-4c1e-9f43-3f7e3b1b2c9d/events/stream`,
    after: 0,
    headers: () => ({ authorization: `Bearer ${h.key}` }),
    signal: new AbortController().signal,
    onEvent: () => undefined,
    onStatus: (s) => statuses.push(s),
  });
  expect(r).toBe("failed");
  expect(statuses).toEqual(["connecting", "failed"]);
});
