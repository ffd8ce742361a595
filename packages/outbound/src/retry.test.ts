import { describe, expect, it } from "vitest";
import { EndpointError } from "./errors.js";
import { DEFAULT_RETRY_POLICY, isRetryable, retryAfterMs, retryDelayMs, withRetries } from "./retry.js";

const status = (s: number, headers: Record<string, string> = {}) => new EndpointError("status", `HTTP ${s}`, { status: s, headers });

describe("retry policy (docs/conventions.md#outbound-http-policy)", () => {
  it("retries 408/409/429/5xx, connection errors, timeouts and bad responses; never 4xx otherwise or aborts", () => {
    for (const s of [408, 409, 429, 500, 502, 503, 504]) expect(isRetryable(status(s)), String(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 422]) expect(isRetryable(status(s)), String(s)).toBe(false);
    for (const k of ["connection", "timeout", "bad_response"] as const) expect(isRetryable(new EndpointError(k, k))).toBe(true);
    expect(isRetryable(new EndpointError("aborted", "x"))).toBe(false);
    expect(isRetryable(status(500, { "x-should-retry": "false" }))).toBe(false);
    expect(isRetryable(status(400, { "x-should-retry": "true" }))).toBe(true);
  });

  it("backs off 0.5 s → 8 s exponentially with at most 25 % jitter", () => {
    const p = { ...DEFAULT_RETRY_POLICY, maxRetries: 10 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(p, n, {}, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect(retryDelayMs(p, 0, {}, () => 0.999)).toBeCloseTo(375.125, 6);
  });

  it("honours retry-after-ms, retry-after seconds and dates, up to a minute", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs({ "retry-after-ms": "250" }, 60_000, now)).toBe(250);
    expect(retryAfterMs({ "retry-after": "2" }, 60_000, now)).toBe(2000);
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, 60_000, now)).toBe(3000);
    expect(retryAfterMs({ "retry-after": "3600" }, 60_000, now)).toBeNull(); // too long: back off instead
    expect(retryAfterMs({ "retry-after": "soon" }, 60_000, now)).toBeNull();
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 0, { "retry-after": "1.5" })).toBe(1500);
  });

  it("stops after maxRetries and reports the attempts made", async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetries(
      async () => {
        calls++;
        throw status(503);
      },
      DEFAULT_RETRY_POLICY,
      undefined,
      { sleep: async (ms) => void delays.push(ms), random: () => 0 },
    ).catch((e: unknown) => e as EndpointError);
    expect(calls).toBe(3);
    expect(err.attempts).toBe(3);
    expect(err.status).toBe(503);
    expect(delays).toEqual([500, 1000]);
  });

  it("does not retry a 400 and succeeds after transient failures", async () => {
    let calls = 0;
    await expect(withRetries(async () => (calls++, Promise.reject(status(400))), DEFAULT_RETRY_POLICY)).rejects.toMatchObject({
      attempts: 1,
      status: 400,
    });
    expect(calls).toBe(1);
    let n = 0;
    const sleep = async () => {};
    await expect(
      withRetries(async () => (n++ < 2 ? Promise.reject(status(429)) : "ok"), DEFAULT_RETRY_POLICY, undefined, { sleep }),
    ).resolves.toBe("ok");
  });

  it("an abort during the backoff ends the call at once", async () => {
    const ac = new AbortController();
    const p = withRetries(async () => Promise.reject(status(500)), { ...DEFAULT_RETRY_POLICY, initialDelayMs: 60_000 }, ac.signal);
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toMatchObject({ kind: "aborted" });
  });
});
