/**
 * The one outbound-HTTP retry policy (docs/conventions.md#outbound-http-policy), the one used by
 * model clients (eval, teacher sampling) and webhook delivery: retry on connection errors,
 * timeouts and 408/409/429/5xx (an `x-should-retry` header overrides), honour `retry-after-ms` /
 * `retry-after` (seconds or an HTTP date), otherwise back off — 0.5 s → 8 s exponentially with up
 * to 25 % jitter for model servers, or a fixed schedule (webhooks: 5 s … 8 h, ±20 %).
 *
 * The openai SDK implements the same rules, but its retries stay off (`maxRetries: 0`): its
 * backoff would sleep while holding one of the client's in-flight slots, it does not retry a 2xx
 * it cannot parse (`bad_response`), and the HF library has no bounded equivalent; one loop here
 * serves both providers and counts every attempt.
 */
import { EndpointError, isEndpointError } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt (default 2). */
  maxRetries: number;
  /** First backoff delay, ms (default 500). */
  initialDelayMs: number;
  /** Backoff cap, ms (default 8000). */
  maxDelayMs: number;
  /** Longest `retry-after` honoured, ms (default 60 000); see `retryAfter` for what happens above it. */
  maxRetryAfterMs: number;
  /** Fixed waits before retry 1, 2, … instead of the exponential backoff (webhook delivery). */
  scheduleMs?: readonly number[];
  /** The backoff is multiplied by a factor uniform between these two (default [1, 0.75]). */
  jitter?: readonly [number, number];
  /**
   * How a server's `retry-after` combines with the backoff. `replace` (default): it replaces the
   * backoff, and one above `maxRetryAfterMs` is ignored (model servers ask for short waits).
   * `floor`: the backoff never waits less than asked, up to `maxRetryAfterMs` (webhook receivers).
   */
  retryAfter?: "replace" | "floor";
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

/**
 * Delay before retry number `retry` (0-based), given the failed answer's (lower-cased) headers.
 * Returns null when the policy has no retry left.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  headers: Record<string, string>,
  random: () => number = Math.random,
  now = Date.now(),
): number | null {
  if (retry >= policy.maxRetries) return null;
  const [from, to] = policy.jitter ?? [1, 0.75];
  const steps = policy.scheduleMs;
  const base = steps ? steps[Math.min(retry, steps.length - 1)]! : Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs);
  const backoff = base * (from + (to - from) * random());
  if (policy.retryAfter === "floor") return Math.max(backoff, Math.min(retryAfterMs(headers, Infinity, now) ?? 0, policy.maxRetryAfterMs));
  return retryAfterMs(headers, policy.maxRetryAfterMs, now) ?? backoff;
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
      const delayMs = signal?.aborted || !isRetryable(e) ? null : retryDelayMs(policy, n, e.headers, deps.random);
      if (delayMs === null) throw e;
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
