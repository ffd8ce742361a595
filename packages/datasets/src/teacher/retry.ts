/**
 * The outbound-HTTP retry policy (docs/conventions.md#outbound-http-policy, after openai-node's client): retry
 * connection errors, timeouts and 408/409/429/5xx; honour `retry-after-ms` / `retry-after`
 * (seconds or an HTTP date); otherwise exponential backoff 0.5 s → 8 s with jitter. Anything
 * else is permanent. SDK-level retries are switched off so one policy, counted here, applies to
 * every provider.
 */
import { TyError } from "@trainyard/contracts";
import { abortError } from "../errors.js";

export interface RetryPolicy {
  maxRetries: number;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** A failed attempt, normalised from whatever the SDK threw. */
export interface AttemptFailure {
  status: number | null;
  headers: Headers | null;
  message: string;
  timedOut: boolean;
}

type HeaderBag = Headers | Record<string, string | string[] | undefined> | null | undefined;

function header(h: HeaderBag, name: string): string | null {
  if (!h) return null;
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name);
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

export function retryable(f: AttemptFailure): boolean {
  if (f.status === null) return true; // connection error or timeout
  return f.status === 408 || f.status === 409 || f.status === 429 || f.status >= 500;
}

/** Delay before retry number `retry` (0-based), honouring the server's hint when present. */
export function retryDelayMs(
  retry: number,
  headers: HeaderBag,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  rand = Math.random,
): number {
  const max = policy.maxDelayMs ?? 8000;
  const ms = Number(header(headers, "retry-after-ms"));
  if (header(headers, "retry-after-ms") !== null && Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  const ra = header(headers, "retry-after");
  if (ra !== null) {
    const secs = Number(ra);
    if (ra.trim() !== "" && Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 60_000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.min(Math.max(0, at - Date.now()), 60_000);
  }
  const exp = Math.min((policy.baseDelayMs ?? 500) * 2 ** retry, max);
  return exp * (1 - 0.25 * rand());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal.aborted) return rej(abortError(signal));
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      res();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      rej(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryStats {
  requests: number;
  retries: number;
  failures: Record<string, number>;
}

/**
 * Runs `attempt` with a fresh per-attempt timeout signal until it succeeds, fails permanently
 * (TY_ERR_TEACHER_REJECTED) or runs out of retries (TY_ERR_TEACHER_UNAVAILABLE). `classify`
 * turns the SDK's error into an AttemptFailure. The outer signal aborts everything at once.
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  classify: (e: unknown, timedOut: boolean) => AttemptFailure,
  policy: RetryPolicy,
  signal: AbortSignal,
  stats: RetryStats,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    if (signal.aborted) throw abortError(signal);
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    stats.requests++;
    try {
      return await attempt(AbortSignal.any([signal, timeout]));
    } catch (e) {
      if (signal.aborted) throw abortError(signal);
      const f = classify(e, timeout.aborted);
      const kind = f.status === null ? (f.timedOut ? "timeout" : "connection") : String(f.status);
      stats.failures[kind] = (stats.failures[kind] ?? 0) + 1;
      if (!retryable(f)) {
        throw new TyError("TY_ERR_TEACHER_REJECTED", `teacher endpoint refused the request (HTTP ${f.status}): ${f.message.slice(0, 300)}`);
      }
      if (retry >= policy.maxRetries) {
        throw new TyError(
          "TY_ERR_TEACHER_UNAVAILABLE",
          `teacher endpoint failed ${retry + 1} times (last: ${kind}: ${f.message.slice(0, 300)})`,
        );
      }
      stats.retries++;
      await sleep(retryDelayMs(retry, f.headers, policy), signal);
    }
  }
}
