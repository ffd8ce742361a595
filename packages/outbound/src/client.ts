/**
 * Model clients behind one interface. `complete()` sends one request — `prompt` to
 * `/v1/completions` (template mode raw), `messages` to `/v1/chat/completions` (chat) — with every
 * sampling parameter explicit, and either returns the completion or throws an `EndpointError`
 * after the retry policy gave up. Each client holds a bounded number of requests in flight and
 * times out every attempt on its own (a backoff sleep never holds an in-flight slot).
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { EndpointError, headerRecord, isEndpointError } from "./errors.js";
import pLimit from "p-limit";
import { keepAliveTransport, type FetchLike } from "./http.js";
import { DEFAULT_RETRY_POLICY, withRetries, type RetryDeps, type RetryPolicy } from "./retry.js";

export type TemplateMode = "raw" | "chat";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Sampling parameters, all sent explicitly (a server must never fill them from a generation config). */
export interface Sampling {
  temperature: number;
  topP: number;
  /** Samples per request; the harness scores the first. */
  n: number;
  /** New tokens at most (`max_tokens`). */
  maxTokens: number;
  /** Per-request seed, when reproducibility is asked for. */
  seed?: number | undefined;
  /** Server-specific body fields sent as-is (e.g. vLLM `top_k: -1`, `repetition_penalty: 1`). */
  extra?: Record<string, unknown> | undefined;
}

export interface CompletionRequest {
  /** Raw prompt text (template mode raw). Exactly one of `prompt` / `messages`. */
  prompt?: string;
  /** Chat messages (template mode chat). */
  messages?: ChatMessage[];
  sampling: Sampling;
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key`, the same on every retry of this request. */
  idempotencyKey?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface CompletionResult {
  /** The first choice's text. */
  text: string;
  /** Every choice's text, in the server's `index` order (`n` samples; one for a raw HF prompt). */
  texts: string[];
  usage: Usage | null;
  finishReason: string | null;
  /** The provider's response object, untouched. */
  raw: unknown;
  /** Attempts made (1 = no retry). */
  attempts: number;
  /** Wall time of the whole call, retries included, ms. */
  latencyMs: number;
}

export interface ModelClient {
  readonly provider: "openai" | "huggingface";
  readonly model: string;
  complete(req: CompletionRequest): Promise<CompletionResult>;
  /** Releases the client's own sockets (a fetch passed in by the caller is left alone). */
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Server base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  model: string;
  apiKey?: string | undefined;
  /** Injectable transport (a real local server in tests, or a counting wrapper). Default: keep-alive undici. */
  fetch?: FetchLike | undefined;
  /** Requests in flight at most, across all callers of this client (default 256). */
  maxInFlight?: number | undefined;
  /** Per-attempt timeout, ms (default 600 000). */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  retryDeps?: RetryDeps | undefined;
  /** Sockets of the default keep-alive agent (default: maxInFlight). */
  connections?: number | undefined;
  /**
   * A chat answer whose server split the thinking off into `reasoning_content` (vLLM's reasoning
   * parser, Qwen3) gets it put back as `<think>…</think>\n\n` before the content (teacher data
   * needs the paper's CoT shape). Default false: the content alone.
   */
  mergeReasoning?: boolean | undefined;
}

/** One attempt's outcome before the wrapper adds attempts and latency. */
export type AttemptResult = Omit<CompletionResult, "attempts" | "latencyMs">;
/**
 * One attempt, which must give up after `timeoutMs` (throwing anything: the wrapper sees the
 * elapsed time and reports a timeout) and stop when `signal` (the caller's) fires.
 */
export type Attempt = (req: CompletionRequest, timeoutMs: number) => Promise<AttemptResult>;

/**
 * Wraps a provider's single attempt with the limiter, error classification and retries.
 * `classify` turns a provider error into an EndpointError.
 */
export function policyClient(
  provider: ModelClient["provider"],
  opts: ClientOptions,
  attempt: Attempt,
  classify: (e: unknown) => EndpointError,
  close: () => Promise<void>,
): ModelClient {
  const limit = pLimit(opts.maxInFlight ?? 256);
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...(opts.retry ?? {}) };
  const once = (req: CompletionRequest) =>
    limit(async () => {
      // The clock starts once a slot is held: time spent queueing here is not the server's.
      const t0 = performance.now();
      try {
        if (req.signal?.aborted) throw new EndpointError("aborted", "aborted");
        return await attempt(req, timeoutMs);
      } catch (e) {
        if (req.signal?.aborted)
          throw isEndpointError(e) && e.kind === "aborted" ? e : new EndpointError("aborted", "aborted", { cause: e });
        const err = isEndpointError(e) ? e : classify(e);
        // An attempt aborted by its own timer surfaces as an abort/connection error; name it.
        const late = err.kind === "connection" && performance.now() - t0 >= timeoutMs - 1;
        throw late ? new EndpointError("timeout", `no answer within ${timeoutMs} ms`, { cause: e }) : err;
      }
    });
  return {
    provider,
    model: opts.model,
    async complete(req) {
      if ((req.prompt === undefined) === (req.messages === undefined))
        throw new TypeError("complete(): pass exactly one of prompt / messages");
      const t0 = performance.now();
      let attempts = 0;
      const r = await withRetries(
        (n) => {
          attempts = n + 1;
          return once(req);
        },
        policy,
        req.signal,
        opts.retryDeps,
      );
      return { ...r, attempts, latencyMs: performance.now() - t0 };
    },
    close,
  };
}

/** `signal` that fires when the caller's does or after `ms`; `done()` clears the timer. */
export function timeoutSignal(ms: number, outer?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const onAbort = () => ac.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ac.signal,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** A signal that fires when `outer` does; `done()` detaches it from `outer`. */
function childSignal(outer: AbortSignal): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  if (outer.aborted) ac.abort(outer.reason);
  const onAbort = () => ac.abort(outer.reason);
  outer.addEventListener("abort", onAbort, { once: true });
  return { signal: ac.signal, done: () => outer.removeEventListener("abort", onAbort) };
}

/** The body fields every request carries; `extra` cannot override the recorded ones. */
export function samplingBody(s: Sampling): Record<string, unknown> {
  const body: Record<string, unknown> = { ...s.extra, temperature: s.temperature, top_p: s.topP, n: s.n, max_tokens: s.maxTokens };
  if (s.seed !== undefined) body.seed = s.seed;
  return body;
}

export function usageOf(raw: unknown): Usage | null {
  const u = (raw as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!u || typeof u.prompt_tokens !== "number" || typeof u.completion_tokens !== "number") return null;
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
}

/** A chat message's text, with a split-off `reasoning_content` put back in front when asked. */
function messageText(m: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown }, mergeReasoning: boolean): string {
  const content = typeof m.content === "string" ? m.content : "";
  if (!mergeReasoning) return content;
  const r = typeof m.reasoning_content === "string" ? m.reasoning_content : typeof m.reasoning === "string" ? m.reasoning : null;
  return r !== null && !content.includes("</think>") ? `<think>${r}</think>\n\n${content}` : content;
}

/**
 * Texts (in `index` order) and the first finish reason of a completions or chat response, or a
 * `bad_response` error.
 */
export function choicesOf(
  raw: unknown,
  chat: boolean,
  mergeReasoning = false,
): { text: string; texts: string[]; finishReason: string | null } {
  type Choice = { index?: unknown; text?: unknown; message?: { content?: unknown }; finish_reason?: unknown };
  const list = (raw as { choices?: unknown } | null)?.choices;
  const all = Array.isArray(list) ? (list as Choice[]) : [];
  const bad = (c: Choice | undefined) => {
    const text = chat ? c?.message?.content : c?.text;
    // A chat answer with null content (e.g. a refusal or tool call) is an empty completion, not garbage.
    return c === undefined || c === null || typeof c !== "object" || !(typeof text === "string" || (chat && text === null && c.message));
  };
  if (all.length === 0 || all.some(bad)) {
    const shown = typeof raw === "string" ? raw.slice(0, 120) : JSON.stringify(raw)?.slice(0, 120);
    throw new EndpointError("bad_response", `response has no ${chat ? "choices[0].message.content" : "choices[0].text"}: ${shown}`);
  }
  const first = all[0]!;
  const ordered = all.length > 1 ? [...all].sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0)) : all;
  const texts = ordered.map((c) => (chat ? messageText(c.message!, mergeReasoning) : (c.text as string)));
  const text = chat ? messageText(first.message!, mergeReasoning) : (first.text as string);
  return { text, texts, finishReason: typeof first.finish_reason === "string" ? first.finish_reason : null };
}

function classifyOpenAI(e: unknown): EndpointError {
  if (e instanceof APIUserAbortError) return new EndpointError("aborted", "aborted", { cause: e });
  if (e instanceof APIConnectionTimeoutError) return new EndpointError("timeout", e.message, { cause: e });
  if (e instanceof APIConnectionError) return new EndpointError("connection", e.message, { cause: e });
  if (e instanceof APIError && typeof e.status === "number") {
    return new EndpointError("status", `HTTP ${e.status}: ${e.message}`, {
      status: e.status,
      headers: headerRecord(e.headers),
      requestId: e.requestID ?? null,
      cause: e,
    });
  }
  // A 2xx the SDK could not parse (e.g. truncated JSON) surfaces as a SyntaxError.
  if (e instanceof SyntaxError) return new EndpointError("bad_response", e.message, { cause: e });
  return new EndpointError("connection", (e as Error)?.message ?? String(e), { cause: e });
}

/** An OpenAI-compatible server (vLLM, our CPU serve mode, a hosted API) through the openai SDK. */
export function openAIClient(opts: ClientOptions): ModelClient {
  const own = opts.fetch ? null : keepAliveTransport({ connections: opts.connections ?? opts.maxInFlight ?? 256 });
  const sdk = new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey ?? "none",
    fetch: (opts.fetch ?? own!.fetch) as never,
    maxRetries: 0, // our policy retries; the SDK's would multiply attempts
  });
  const attempt: Attempt = async (req, timeout) => {
    // The SDK never removes its listener from a caller's signal, and callers share one signal
    // across a whole run: hand it a per-attempt child that lets go of the parent afterwards.
    const child = req.signal ? childSignal(req.signal) : null;
    // The SDK's own per-request timer (one AbortController per request, not two).
    const options = {
      timeout,
      maxRetries: 0,
      ...(child ? { signal: child.signal } : {}),
      ...(req.idempotencyKey ? { headers: { "Idempotency-Key": req.idempotencyKey } } : {}),
    };
    const params = { ...samplingBody(req.sampling), model: opts.model, stream: false };
    try {
      if (req.messages) {
        const raw: unknown = await sdk.chat.completions.create({ ...params, messages: req.messages } as never, options);
        return { ...choicesOf(raw, true, opts.mergeReasoning), usage: usageOf(raw), raw };
      }
      const raw: unknown = await sdk.completions.create({ ...params, prompt: req.prompt } as never, options);
      return { ...choicesOf(raw, false), usage: usageOf(raw), raw };
    } finally {
      child?.done();
    }
  };
  return policyClient("openai", opts, attempt, classifyOpenAI, async () => {
    await own?.close();
  });
}
