/**
 * Model clients against a real local server: request shapes, the keep-alive transport, bounded
 * concurrency, retries and per-request timeouts, through both the openai SDK and
 * @huggingface/inference.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient, keepAliveTransport, normalizeEndpoint, type FetchLike, type ModelClient, type Provider } from "./index.js";
import { startFakeModelServer, type FakeAnswer, type FakeServer } from "./testing/fake-server.js";

const sampling = { temperature: 0.5, topP: 1, n: 1, maxTokens: 64 };
const fast = { initialDelayMs: 1, maxDelayMs: 2 };
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function serve(answer: (i: number) => FakeAnswer, extra: { latencyMs?: number } = {}): Promise<FakeServer> {
  const s = await startFakeModelServer({ answer: (c) => answer(c.index), ...extra });
  open.push(s);
  return s;
}

function client(
  provider: Provider,
  url: string,
  o: Parameters<typeof createModelClient>[1] extends infer T ? Partial<T> : never = {},
): ModelClient {
  const c = createModelClient(provider, { baseURL: url, model: "m", retry: fast, ...o });
  open.push(c);
  return c;
}

describe.each(["openai", "huggingface"] as const)("%s client", (provider) => {
  it("sends raw prompts to /v1/completions and messages to /v1/chat/completions with every sampling field", async () => {
    const s = await serve(() => "<answer> Up </answer>");
    const c = client(provider, s.url);
    const raw = await c.complete({ prompt: "P", sampling: { ...sampling, seed: 11 } });
    const extra = { top_k: -1, temperature: 9, model: "other" }; // server extras; the recorded fields win
    const chat = await c.complete({ messages: [{ role: "user", content: "Q" }], sampling: { ...sampling, extra } });
    expect(raw).toMatchObject({
      text: "<answer> Up </answer>",
      finishReason: "stop",
      attempts: 1,
      usage: { promptTokens: 1, completionTokens: 6 },
    });
    expect(chat).toMatchObject({ text: "<answer> Up </answer>", finishReason: "stop", attempts: 1 });
    expect(s.calls.map((x) => x.endpoint)).toEqual(["completions", "chat"]);
    expect(s.calls[0]!.body).toMatchObject({ model: "m", prompt: "P", temperature: 0.5, top_p: 1, n: 1, max_tokens: 64, seed: 11 });
    expect(s.calls[1]!.body).toMatchObject({
      model: "m",
      messages: [{ role: "user", content: "Q" }],
      temperature: 0.5,
      top_p: 1,
      n: 1,
      max_tokens: 64,
    });
  });

  it("retries 500s with backoff, then succeeds; gives up after 2 retries with the status", async () => {
    const s = await serve((i) => (i < 2 ? { status: 500 } : "ok"));
    const c = client(provider, s.url);
    await expect(c.complete({ prompt: "P", sampling })).resolves.toMatchObject({ text: "ok", attempts: 3 });
    const dead = await serve(() => ({ status: 503 }));
    const d = client(provider, dead.url);
    await expect(d.complete({ prompt: "P", sampling })).rejects.toMatchObject({
      code: "TY_ERR_EVAL_ENDPOINT",
      kind: "status",
      status: 503,
      attempts: 3,
    });
    expect(dead.requests).toBe(3);
  });

  it("does not retry a 400", async () => {
    const s = await serve(() => ({ status: 400 }));
    await expect(client(provider, s.url).complete({ prompt: "P", sampling })).rejects.toMatchObject({ status: 400, attempts: 1 });
    expect(s.requests).toBe(1);
  });

  it("honours retry-after on 429", async () => {
    const s = await serve((i) => (i === 0 ? { status: 429, headers: { "retry-after-ms": "120" } } : "ok"));
    const delays: number[] = [];
    const c = client(provider, s.url, { retryDeps: { onRetry: (r) => delays.push(r.delayMs) } });
    await expect(c.complete({ prompt: "P", sampling })).resolves.toMatchObject({ attempts: 2 });
    expect(delays).toEqual([120]);
  });

  it("waits a retry-after in seconds in real time, with the same Idempotency-Key on every attempt", async () => {
    const s = await serve((i) => (i === 0 ? { status: 503, headers: { "retry-after": "1" } } : "ok"));
    const t0 = performance.now();
    const r = await client(provider, s.url, { retry: { initialDelayMs: 1, maxDelayMs: 2 } }).complete({
      prompt: "P",
      sampling,
      idempotencyKey: "item-7",
    });
    expect(r).toMatchObject({ text: "ok", attempts: 2 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    if (provider === "openai") expect(s.calls.map((c) => c.headers["idempotency-key"])).toEqual(["item-7", "item-7"]);
  });

  it("times out a hanging request per attempt and retries it", async () => {
    const s = await serve((i) => (i < 1 ? { hang: true } : "late but fine"));
    const c = client(provider, s.url, { timeoutMs: 150 });
    await expect(c.complete({ prompt: "P", sampling })).resolves.toMatchObject({ text: "late but fine", attempts: 2 });
    const hung = await serve(() => ({ hang: true }));
    const t0 = performance.now();
    await expect(client(provider, hung.url, { timeoutMs: 100 }).complete({ prompt: "P", sampling })).rejects.toMatchObject({
      kind: "timeout",
      attempts: 3,
    });
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("treats garbage bodies and dropped connections as retryable endpoint failures", async () => {
    const html = await serve(() => ({ status: 200, body: "<html>bad gateway</html>", contentType: "text/html" }));
    await expect(client(provider, html.url).complete({ prompt: "P", sampling })).rejects.toMatchObject({
      kind: "bad_response",
      attempts: 3,
    });
    const truncated = await serve(() => ({ status: 200, body: '{"choices": [{"te' }));
    await expect(client(provider, truncated.url).complete({ prompt: "P", sampling })).rejects.toMatchObject({
      kind: "bad_response",
      attempts: 3,
    });
    const noChoices = await serve(() => ({ status: 200, body: '{"object": "text_completion"}' }));
    await expect(client(provider, noChoices.url).complete({ messages: [{ role: "user", content: "x" }], sampling })).rejects.toMatchObject({
      kind: "bad_response",
    });
    const dropped = await serve((i) => (i === 0 ? { destroy: true } : "ok"));
    await expect(client(provider, dropped.url).complete({ prompt: "P", sampling })).resolves.toMatchObject({ text: "ok", attempts: 2 });
  });

  it("reports a refused connection after the retries", async () => {
    const s = await serve(() => "x");
    const url = s.url;
    await s.close();
    await expect(client(provider, url).complete({ prompt: "P", sampling })).rejects.toMatchObject({ kind: "connection", attempts: 3 });
  });

  it("stops at once when the caller aborts", async () => {
    const s = await serve(() => ({ hang: true }));
    const ac = new AbortController();
    const p = client(provider, s.url).complete({ prompt: "P", sampling, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(p).rejects.toMatchObject({ kind: "aborted", attempts: 1 });
  });
});

describe("transport", () => {
  it("keeps requests in flight within maxInFlight and reuses keep-alive sockets", async () => {
    let active = 0;
    let peak = 0;
    const s = await startFakeModelServer({
      answer: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
        return "ok";
      },
    });
    open.push(s);
    const t = keepAliveTransport({ connections: 8 });
    open.push(t);
    let fetches = 0;
    const counting: FetchLike = (input, init) => {
      fetches++;
      return t.fetch(input, init);
    };
    const c = client("openai", s.url, { fetch: counting, maxInFlight: 3 });
    await Promise.all(Array.from({ length: 48 }, () => c.complete({ prompt: "P", sampling })));
    expect(fetches).toBe(48);
    expect(peak).toBe(3);
    // Keep-alive: a handful of sockets for 48 requests. (The agent may open a socket while the one
    // that just answered is still being released, so up to the agent's `connections`, not 3.)
    expect(s.connections).toBeLessThanOrEqual(8);
  });

  it("normalises endpoint URLs", () => {
    expect(normalizeEndpoint("http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/v1");
    expect(normalizeEndpoint("http://127.0.0.1:8000/v1/")).toBe("http://127.0.0.1:8000/v1");
    expect(normalizeEndpoint("http://h/v1/chat/completions")).toBe("http://h/v1");
    expect(normalizeEndpoint("https://api.example.com/openai/v1beta")).toBe("https://api.example.com/openai/v1beta");
    expect(() => normalizeEndpoint("ftp://h")).toThrow(TypeError);
    expect(() => normalizeEndpoint("not a url")).toThrow(TypeError);
  });
});

describe("choices", () => {
  it("returns every choice in index order, and merges split-off reasoning only when asked", async () => {
    const body = JSON.stringify({
      object: "chat.completion",
      choices: [
        { index: 1, message: { role: "assistant", content: "B", reasoning_content: "think b" }, finish_reason: "stop" },
        { index: 0, message: { role: "assistant", content: "A", reasoning_content: "think a" }, finish_reason: "length" },
      ],
    });
    const s = await serve(() => ({ body }));
    const messages = [{ role: "user" as const, content: "Q" }];
    const plain = await client("openai", s.url).complete({ messages, sampling: { ...sampling, n: 2 } });
    expect(plain).toMatchObject({ text: "B", texts: ["A", "B"], finishReason: "stop" }); // `text`: the first choice as sent
    const merged = await client("openai", s.url, { mergeReasoning: true }).complete({ messages, sampling: { ...sampling, n: 2 } });
    expect(merged.texts).toEqual(["<think>think a</think>\n\nA", "<think>think b</think>\n\nB"]);
  });
});
