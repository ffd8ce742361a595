/**
 * The outbound-HTTP retry policy (docs/conventions.md#outbound-http-policy, after openai-node `src/client.ts`): retry on
 * connection errors, timeouts and 408/409/429/5xx (an `x-should-retry` header overrides), honour
 * `retry-after-ms` / `retry-after` up to a minute, otherwise back off 0.5 s → 8 s exponentially
 * with up to 25 % jitter; 2 retries by default. Shared by the model clients; the webhook deliverer
 * can use the same functions.
 */
import { EndpointError, isEndpointError } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt (default 2). */
  maxRetries: number;
  /** First backoff delay, ms (default 500). */
  initialDelayMs: number;
  /** Backoff cap, ms (default 8000). */
  maxDelayMs: number;
  /** A server's `retry-after` above this (ms) is ignored in favour of the backoff (default 60 000). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
});

/** Injectable clock pieces so tests can count sleeps instead of waiting them out. */
export interface RetryDeps {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Called before each retry with the error that caused it and the delay chosen. */
  onRetry?: (info: { error: EndpointError; retry: number; delayMs: number }) => void;
}

export function isRetryable(e: EndpointError): boolean {
  if (e.kind === "aborted") return false;
  const hint = e.headers["x-should-retry"];
  if (hint === "true") return true;
  if (hint === "false") return false;
  if (e.kind !== "status") return true; // connection, timeout, bad_response
  const s = e.status ?? 0;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

/** Server-requested delay in ms, or null when absent, unparsable or out of [0, cap]. */
export function retryAfterMs(headers: Record<string, string>, capMs: number, now = Date.now()): number | null {
  let ms: number | null = null;
  const msHeader = headers["retry-after-ms"];
  if (msHeader !== undefined && msHeader.trim() !== "" && Number.isFinite(Number(msHeader))) ms = Number(msHeader);
  const header = headers["retry-after"];
  if (ms === null && header !== undefined && header.trim() !== "") {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) ms = seconds * 1000;
    else {
      const at = Date.parse(header);
      if (Number.isFinite(at)) ms = at - now;
    }
  }
  return ms !== null && ms >= 0 && ms <= capMs ? ms : null;
}

/** Delay before retry number `retry` (0-based). */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  headers: Record<string, string>,
  random: () => number = Math.random,
): number {
  const asked = retryAfterMs(headers, policy.maxRetryAfterMs);
  if (asked !== null) return asked;
  const base = Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs);
  return base * (1 - random() * 0.25);
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new EndpointError("aborted", "aborted"));
    const onAbort = () => {
      clearTimeout(t);
      reject(new EndpointError("aborted", "aborted"));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or retries run out. The
 * thrown error is always an EndpointError carrying the number of attempts made.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  deps: RetryDeps = {},
): Promise<T> {
  const sleep = deps.sleep ?? abortableSleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (raw) {
      const e = isEndpointError(raw) ? raw : new EndpointError("connection", String((raw as Error)?.message ?? raw), { cause: raw });
      e.attempts = n + 1;
      if (signal?.aborted || n >= policy.maxRetries || !isRetryable(e)) throw e;
      const delayMs = retryDelayMs(policy, n, e.headers, deps.random);
      deps.onRetry?.({ error: e, retry: n + 1, delayMs });
      try {
        await sleep(delayMs, signal);
      } catch {
        e.attempts = n + 1;
        throw new EndpointError("aborted", "aborted while waiting to retry", { cause: e });
      }
    }
  }
}

/** A FIFO counting semaphore: at most `limit` holders at once. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter so `active` never dips below the true count.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
