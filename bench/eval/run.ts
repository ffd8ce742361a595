/**
 * Evaluation client throughput (run: `npx tsx bench/eval/run.ts [--quick] [--latency MS] [--capacity C]`).
 *
 * Against a model server of fixed service time and capacity (bench/eval/server.ts, its own
 * process so it never steals the client's event loop), measure:
 *  1. achieved throughput / server capacity, capacity = C slots / service time
 *     (goal ≥ 0.95; docs/performance-reference.md#eval-gpu-ceiling asks the harness to keep the server full);
 *  2. client CPU per request, process.cpuUsage() around the run (goal < 0.2 ms);
 *  3. the keep-alive transport vs Node's global fetch, on the same server and on a zero-latency
 *     one (docs/performance-reference.md#eval-client-overhead measured global fetch about 4× slower than a keep-alive agent).
 * Rows go through the real client (openai SDK + retry policy + limiter); the `evaluate()` row adds
 * GP item generation, prompts and scoring; the `undici.request` row is the transport alone (no SDK),
 * the floor under every other row. Figures are medians of 3 runs.
 *
 * The default capacity (16 slots × 20 ms = 800 req/s) is what a 2-vCPU development box can drive
 * with client and server on it together; on a bigger machine raise `--capacity`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { loadavg } from "node:os";
import { createModelClient, evaluate, keepAliveTransport, type FetchLike, type HttpTransport } from "../../packages/eval/src/index.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const quick = process.argv.includes("--quick");
const LATENCY_MS = arg("--latency", 20);
const CAPACITY = arg("--capacity", 16);
const RUNS = quick ? 1 : 3;

interface Server {
  url: string;
  stop(): Promise<{ requests: number; cpuMs: number }>;
}

async function startServer(latencyMs: number, capacity: number): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/eval/server.ts", String(latencyMs), String(capacity)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  return {
    url,
    stop: async () => {
      child.stdin!.end();
      const last = await lines.next();
      return JSON.parse(String(last.value)) as { requests: number; cpuMs: number };
    },
  };
}

interface Figures {
  reqPerSec: number;
  cpuMsPerReq: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const MESSAGES = [{ role: "user" as const, content: "x".repeat(900) }];
const SAMPLING = { temperature: 0.5, topP: 1, n: 1, maxTokens: 8192 };

/** `total` requests, `inFlight` at a time, through `one`; median of RUNS after a warm-up. */
async function timed(one: () => Promise<unknown>, inFlight: number, total: number): Promise<Figures> {
  const once = async (n: number): Promise<Figures> => {
    let next = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < n) await one();
      }),
    );
    const sec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return { reqPerSec: n / sec, cpuMsPerReq: (cpu.user + cpu.system) / 1000 / n };
  };
  await once(Math.min(total, inFlight * 10));
  const runs: Figures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(total));
  return { reqPerSec: median(runs.map((r) => r.reqPerSec)), cpuMsPerReq: median(runs.map((r) => r.cpuMsPerReq)) };
}

async function clientRun(url: string, fetch: FetchLike, inFlight: number, total: number): Promise<Figures> {
  const client = createModelClient("openai", { baseURL: url, model: "bench", fetch, maxInFlight: inFlight });
  try {
    return await timed(() => client.complete({ messages: MESSAGES, sampling: SAMPLING }), inFlight, total);
  } finally {
    await client.close();
  }
}

/** The same request straight on the keep-alive agent (`undici` request API): no SDK, no policy. */
function transportRun(url: string, t: HttpTransport, inFlight: number, total: number): Promise<Figures> {
  const body = JSON.stringify({ model: "bench", messages: MESSAGES, temperature: 0.5, top_p: 1, n: 1, max_tokens: 8192 });
  const headers = { "content-type": "application/json", authorization: "Bearer none" };
  const u = new URL(`${url}/chat/completions`);
  return timed(
    async () => {
      const r = await t.agent.request({ origin: u.origin, path: u.pathname, method: "POST", headers, body });
      return r.body.json();
    },
    inFlight,
    total,
  );
}

/** GP items through `evaluate()` (generation + prompt + request + scoring). */
async function evaluateRun(url: string, inFlight: number, perSplit: number): Promise<Figures> {
  const transport = keepAliveTransport({ connections: inFlight });
  const client = createModelClient("openai", { baseURL: url, model: "bench", fetch: transport.fetch, maxInFlight: inFlight });
  const splits = ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake"];
  await evaluate({ env: "general-points", splits, n: perSplit, client, concurrency: inFlight }); // warm: the solver's memo table
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await evaluate({ env: "general-points", splits, n: perSplit, client, concurrency: inFlight });
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  await client.close();
  await transport.close();
  return { reqPerSec: r.items.length / sec, cpuMsPerReq: (cpu.user + cpu.system) / 1000 / r.items.length };
}

const capacity = (CAPACITY * 1000) / LATENCY_MS;
const total = quick ? Math.round(capacity) : Math.round(capacity * 4);
const rows: string[][] = [];
const row = (name: string, f: Figures, cap: number | null) =>
  rows.push([name, f.reqPerSec.toFixed(0), cap === null ? "-" : (f.reqPerSec / cap).toFixed(3), f.cpuMsPerReq.toFixed(3)]);

console.log(`node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} (client and server share this machine)`);
const slow = await startServer(LATENCY_MS, CAPACITY);
const ka = keepAliveTransport({ connections: 2 * CAPACITY });
row(`keep-alive, ${CAPACITY} in flight`, await clientRun(slow.url, ka.fetch, CAPACITY, total), capacity);
row(`keep-alive, ${2 * CAPACITY} in flight`, await clientRun(slow.url, ka.fetch, 2 * CAPACITY, total), capacity);
row(`global fetch, ${2 * CAPACITY} in flight`, await clientRun(slow.url, globalThis.fetch, 2 * CAPACITY, total), capacity);
row(`undici.request only, ${2 * CAPACITY} in flight`, await transportRun(slow.url, ka, 2 * CAPACITY, total), capacity);
row(`evaluate() GP, ${2 * CAPACITY} items in flight`, await evaluateRun(slow.url, 2 * CAPACITY, quick ? 50 : 400), capacity);
const slowStats = await slow.stop();
const fast = await startServer(0, 0);
const fastTotal = quick ? 1000 : 5000;
row("keep-alive, 64 in flight, zero-latency server", await clientRun(fast.url, ka.fetch, 64, fastTotal), null);
row("global fetch, 64 in flight, zero-latency server", await clientRun(fast.url, globalThis.fetch, 64, fastTotal), null);
row("undici.request only, 64 in flight, zero-latency server", await transportRun(fast.url, ka, 64, fastTotal), null);
await fast.stop();
await ka.close();

console.log(
  `server: ${LATENCY_MS} ms per request, ${CAPACITY} at a time → capacity ${capacity.toFixed(0)} req/s; it served ${slowStats.requests} requests`,
);
const head = ["client", "req/s", "÷ capacity", "client CPU ms/req"];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "));
console.log("goals: ÷ capacity ≥ 0.95, client CPU < 0.2 ms per request");
