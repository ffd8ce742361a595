/**
 * FakeModelServer: a real HTTP server on 127.0.0.1 speaking the OpenAI-compatible subset our
 * harness uses (`/health`, `/v1/models`, `/v1/completions`, `/v1/chat/completions`), whose
 * "model" is a function of the request. It stands in for a GPU-served model, the one boundary
 * tests cannot run here (docs/conventions.md#real-components). Faults are answers too: an HTTP
 * status with headers, a garbage body, a hang (for timeouts) or a dropped connection.
 *
 * `latencyMs` + `capacity` model a server of fixed service time and at most `capacity` requests
 * in service at once (the rest wait FIFO), which is what the throughput bench measures against.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
  endpoint: "completions" | "chat";
  /** The raw prompt, or the last user message's content. */
  prompt: string;
  body: Record<string, unknown>;
  /** 0-based number of this request among all completion requests the server received. */
  index: number;
  headers: Record<string, string | string[] | undefined>;
}

export type FakeAnswer =
  | string
  | {
      /** Completion text (default ""). */
      text?: string;
      /** One choice per text (a request's `n` samples), instead of `text`. */
      texts?: string[];
      finishReason?: string;
      /** Reply with this status; with `body`, send it verbatim instead of a completion object. */
      status?: number;
      body?: string;
      contentType?: string;
      headers?: Record<string, string>;
      /** Extra delay before answering, ms. */
      delayMs?: number;
      /** Never answer (the socket stays open until the client gives up or the server closes). */
      hang?: boolean;
      /** Drop the connection without answering. */
      destroy?: boolean;
    };

export interface FakeServerOptions {
  answer: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>;
  /** Fixed service time per completion request, ms (default 0). */
  latencyMs?: number;
  /** Completion requests in service at once; the rest queue (default unbounded). */
  capacity?: number;
  port?: number;
  /** Keep every call in `calls` (default true; the bench turns it off). */
  record?: boolean;
}

export interface FakeServer {
  /** Base URL including `/v1`. */
  url: string;
  calls: FakeCall[];
  /** Completion requests received. */
  readonly requests: number;
  /** TCP connections accepted (keep-alive reuse keeps this near the client's concurrency). */
  readonly connections: number;
  close(): Promise<void>;
}

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, type = "application/json"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function completionBody(call: FakeCall, texts: string[], finishReason: string): string {
  const out = texts.reduce((n, t) => n + tokens(t), 0);
  const usage = { prompt_tokens: tokens(call.prompt), completion_tokens: out, total_tokens: tokens(call.prompt) + out };
  const base = { id: `fake-${call.index}`, created: 0, model: String(call.body.model ?? "fake"), usage };
  if (call.endpoint === "chat") {
    const choices = texts.map((content, index) => ({ index, message: { role: "assistant", content }, finish_reason: finishReason }));
    return JSON.stringify({ ...base, object: "chat.completion", choices });
  }
  const choices = texts.map((text, index) => ({ index, text, finish_reason: finishReason, logprobs: null }));
  return JSON.stringify({ ...base, object: "text_completion", choices });
}

export async function startFakeModelServer(opts: FakeServerOptions): Promise<FakeServer> {
  const calls: FakeCall[] = [];
  const record = opts.record ?? true;
  const capacity = opts.capacity ?? Infinity;
  const latency = opts.latencyMs ?? 0;
  let active = 0;
  let count = 0;
  const queue: (() => void)[] = [];
  const acquire = () => (active < capacity ? (active++, Promise.resolve()) : new Promise<void>((r) => queue.push(r)));
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/health") return send(res, 200, "{}");
    if (req.method === "GET" && path === "/v1/models")
      return send(res, 200, JSON.stringify({ object: "list", data: [{ id: "fake", object: "model" }] }));
    const endpoint = path === "/v1/completions" ? "completions" : path === "/v1/chat/completions" ? "chat" : null;
    if (req.method !== "POST" || endpoint === null)
      return send(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return send(res, 400, JSON.stringify({ error: { message: "invalid JSON" } }));
    }
    const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const prompt = endpoint === "chat" ? String(lastUser?.content ?? "") : String(body.prompt ?? "");
    const call: FakeCall = { endpoint, prompt, body, index: count++, headers: req.headers };
    if (record) calls.push(call);
    await acquire();
    try {
      if (latency > 0) await wait(latency);
      const a = await opts.answer(call);
      const ans = typeof a === "string" ? { text: a } : a;
      if (ans.delayMs) await wait(ans.delayMs);
      if (ans.destroy) return void req.socket.destroy();
      if (ans.hang) return void (await new Promise<void>((r) => res.on("close", r)));
      if (ans.body !== undefined) return send(res, ans.status ?? 200, ans.body, ans.headers, ans.contentType);
      const status = ans.status ?? 200;
      if (status !== 200)
        return send(res, status, JSON.stringify({ error: { message: `fake status ${status}`, type: "fake" } }), ans.headers);
      send(res, 200, completionBody(call, ans.texts ?? [ans.text ?? ""], ans.finishReason ?? "stop"), ans.headers);
    } finally {
      release();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: { message: String((e as Error)?.message ?? e) } }));
    });
  });
  let connections = 0;
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    get requests() {
      return count;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
