/** SSE over a real listening server: events in order, and resume from Last-Event-ID. */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { JobHandler, RunningWorker } from "../apps/worker/src/index.js";
import { auth, startApiHarness, type ApiHarness } from "./helpers/api.js";
import { startTestWorker, waitFor } from "./helpers/worker.js";

let h: ApiHarness;
let worker: RunningWorker;
let base: string;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));

beforeAll(async () => {
  h = await startApiHarness({ ssePollMs: 30 });
  base = await h.app.listen({ host: "127.0.0.1", port: 0 });
  const handler: JobHandler = async (ctx) => {
    if (ctx.job.kind === "sft") await gate; // hold the DAG so the stream is cut mid-way
    await ctx.log(`done ${ctx.job.name}`);
    return {};
  };
  worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": handler, sft: handler, grpo: handler, eval: handler } });
});
afterAll(async () => {
  release();
  await worker?.close();
  await h?.close();
});

interface SseEvent {
  id: number;
  event: string;
  data: { experimentSeq: number; type: string; data: { state?: string } };
}

/** Read SSE events until `stopAfter` events or the `end` event. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  stopAfter = Infinity,
): Promise<{ events: SseEvent[]; ended: boolean }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const events: SseEvent[] = [];
  let ended = false;
  while (events.length < stopAfter && !ended) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const m = /^(\w+): ?(.*)$/.exec(line);
        if (m) f[m[1]!] = m[2]!;
      }
      if (f.event === "end") {
        ended = true;
        break;
      }
      if (f.id && f.data) events.push({ id: Number(f.id), event: f.event!, data: JSON.parse(f.data) });
      if (events.length >= stopAfter) break;
    }
  }
  ac.abort();
  return { events, ended };
}

it("streams status events in order and resumes from Last-Event-ID", async () => {
  const res = await fetch(`${base}/v1/experiments`, {
    method: "POST",
    headers: { ...auth(h.key), "content-type": "application/json" },
    body: JSON.stringify({ preset: "demo-cpu" }),
  });
  expect(res.status).toBe(201);
  const exp = (await res.json()) as { id: string; jobs: unknown[] };
  const url = `${base}/v1/experiments/${exp.id}/events/stream`;

  // The jobs' initial `queued` events, then the build running → succeeded; sft is held at the gate.
  const first = await readSse(url, auth(h.key), exp.jobs.length + 2);
  expect(first.events.map((e) => e.id)).toEqual(first.events.map((_, i) => i + 1));
  expect(first.events.slice(0, exp.jobs.length).every((e) => e.event === "status" && e.data.data.state === "queued")).toBe(true);
  const lastId = first.events[first.events.length - 1]!.id;

  release();
  await waitFor(async () => {
    const r = await fetch(`${base}/v1/experiments/${exp.id}`, { headers: auth(h.key) });
    return ((await r.json()) as { state: string }).state === "succeeded";
  });

  const rest = await readSse(url, { ...auth(h.key), "last-event-id": String(lastId) });
  expect(rest.ended).toBe(true);
  expect(rest.events[0]!.id).toBe(lastId + 1);
  const all = [...first.events, ...rest.events];
  expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));

  const listed = (await (await fetch(`${base}/v1/experiments/${exp.id}/events?limit=1000`, { headers: auth(h.key) })).json()) as {
    items: { experimentSeq: number; type: string }[];
  };
  expect(all.map((e) => [e.id, e.event])).toEqual(listed.items.map((e) => [e.experimentSeq, e.type]));
  const terminal = all.filter((e) => e.event === "status" && e.data.data.state === "succeeded");
  expect(terminal.length).toBe(exp.jobs.length);
});
