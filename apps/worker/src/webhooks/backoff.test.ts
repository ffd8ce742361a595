/** Webhook delivery's backoff, computed by the shared outbound retry policy (packages/outbound/src/retry.ts). */
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "@trainyard/outbound";
import { webhookRetryPolicy } from "./deliverer.js";

const delay = (attempt: number, headers: Record<string, string> = {}, random = 0.5, scale = 1, now = Date.now()) =>
  retryDelayMs(webhookRetryPolicy(scale), attempt - 1, headers, () => random, now);

describe("webhook backoff", () => {
  it("follows WEBHOOK_RETRY_DELAYS_S with ±20 % jitter, scaled, then gives up", () => {
    expect(delay(1)).toBe(5000);
    expect(delay(1, {}, 0)).toBe(4000);
    expect(delay(2, {}, 1)).toBe(36000);
    expect(delay(1, {}, 0.5, 0.001)).toBe(5);
    expect(delay(10)).toBe(28_800_000);
    expect(delay(11)).toBeNull();
  });

  it("waits at least what a receiver's retry-after asks, up to the longest step", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(delay(1, { "retry-after": "60" })).toBe(60_000);
    expect(delay(5, { "retry-after": "1" })).toBe(1_800_000); // never shortened
    expect(delay(1, { "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, 0.5, 1, now)).toBe(30_000);
    expect(delay(1, { "retry-after-ms": "7000" })).toBe(7000);
    expect(delay(1, { "retry-after": "999999" })).toBe(28_800_000);
    expect(delay(1, { "retry-after": "soon" })).toBe(5000);
    // A scaled schedule (tests) still honours the receiver's wait in full.
    expect(delay(1, { "retry-after": "1" }, 0.5, 0.001)).toBe(1000);
  });
});
