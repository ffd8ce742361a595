/**
 * Webhook deliverer: sends pending WebhookDelivery rows (Postgres is the queue) with Standard
 * Webhooks signatures, at least once. Polls every `pollMs` and wakes early on a Redis nudge
 * (`webhooksChannel`) or when a slot frees; at most `concurrency` requests in flight.
 *
 * One attempt: SSRF check of the target (resolved now, against DNS rebinding), POST with a
 * timeout, 2xx = delivered. Anything else is logged on the delivery and retried on
 * WEBHOOK_RETRY_DELAYS_S (about 24 h; `retry-after` honoured on 429/503), then `failed`.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { WEBHOOK_RETRY_DELAYS_S, checkWebhookTarget, webhookHeaders, webhooksChannel, type LookupAll } from "@trainyard/contracts";
import { activeWebhookSecrets, type Db } from "@trainyard/db";
import { retryDelayMs, type RetryPolicy } from "@trainyard/outbound";
import { createWebhookFetch, type WebhookFetch } from "./http.js";
import { claimDueDeliveries, recordDeliveryAttempt, type ClaimedDelivery } from "./queue.js";

export interface DelivererOptions {
  db: Db;
  logger: Logger;
  /** A Redis connection the deliverer SUBSCRIBEs on and quits on close; null: poll only. */
  subscriber?: Redis | null;
  /** REDIS_PREFIX, for the nudge channel. */
  prefix?: string;
  /** Allow loopback/private/link-local targets (WEBHOOK_ALLOW_PRIVATE; development only). */
  allowPrivate?: boolean;
  /** HTTP client (default: node:http with the address guard pinned in its DNS lookup). */
  fetch?: WebhookFetch;
  /** DNS for the pre-flight target check (default: dns.lookup, every address). */
  lookup?: LookupAll;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Poll interval in ms. Default 1000. */
  pollMs?: number;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Multiplies the retry schedule (tests: 0.001 turns 5 s into 5 ms). Default 1. */
  backoffScale?: number;
  /** Clock (timestamps, due times). Default: the system clock. */
  now?: () => Date;
  random?: () => number;
}

export interface Deliverer {
  /** Look for due deliveries now. */
  kick(): void;
  /** Stop claiming, abort requests in flight (recorded as failed attempts), quit the subscriber. */
  close(): Promise<void>;
}

/**
 * Delivery's backoff through the one outbound retry policy: WEBHOOK_RETRY_DELAYS_S (`scale`d) with
 * ±20 % jitter so one outage's retries do not arrive in lockstep; a receiver's `retry-after`
 * lengthens a wait, never shortens it, up to the longest step.
 */
export function webhookRetryPolicy(scale = 1): RetryPolicy {
  const steps = WEBHOOK_RETRY_DELAYS_S.map((s) => s * 1000 * scale);
  return {
    maxRetries: steps.length,
    initialDelayMs: steps[0]!,
    maxDelayMs: Math.max(...steps),
    maxRetryAfterMs: Math.max(...WEBHOOK_RETRY_DELAYS_S) * 1000,
    scheduleMs: steps,
    jitter: [0.8, 1.2],
    retryAfter: "floor",
  };
}

/** A claim's lease beyond the request timeout: time to record the attempt. */
const LEASE_MARGIN_MS = 30_000;

function describe(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError") return `timeout: no answer within ${timeoutMs} ms`;
  if (err?.name === "AbortError") return "aborted: the deliverer shut down";
  const code = err?.code ?? err?.cause?.code;
  const message = err?.cause?.message ?? err?.message ?? String(e);
  return (code ? `${code}: ${message}` : message).slice(0, 500);
}

export function startDeliverer(opts: DelivererOptions): Deliverer {
  const { db, logger } = opts;
  const concurrency = opts.concurrency ?? 8;
  const pollMs = opts.pollMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const clock = opts.now ?? (() => new Date());
  const allowPrivate = opts.allowPrivate ?? false;
  const fetchFn = opts.fetch ?? createWebhookFetch({ allowPrivate });
  const lookup: LookupAll = opts.lookup ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  const policy = webhookRetryPolicy(opts.backoffScale ?? 1);
  const shutdown = new AbortController();
  const channel = webhooksChannel(opts.prefix ?? "ty");
  const log = logger.child({ component: "webhooks" });

  let stopped = false;
  let nudged = false;
  let wake: (() => void) | null = null;
  const kick = () => {
    nudged = true;
    wake?.();
  };
  if (opts.subscriber) {
    void opts.subscriber.subscribe(channel).catch((err: unknown) => log.warn({ err }, "webhooks channel subscribe failed; polling only"));
    opts.subscriber.on("message", (ch: string) => {
      if (ch === channel) kick();
    });
  }

  async function attempt(d: ClaimedDelivery): Promise<void> {
    const startedAt = clock();
    const t0 = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    // The receiver's `retry-after` / `retry-after-ms`, read on 429 and 503 only.
    const retryHeaders: Record<string, string> = {};
    let response: string | null = null;
    const ep = d.endpoint;
    if (!ep?.enabled) {
      error = "endpoint disabled";
    } else {
      try {
        await checkWebhookTarget(ep.url, { allowPrivate, lookup });
        // Fixed top-level order; the stored jsonb does not keep key order. The signature covers these bytes.
        const body = JSON.stringify({ type: d.payload.type, timestamp: d.payload.timestamp, data: d.payload.data });
        const secrets = activeWebhookSecrets(ep, startedAt);
        const headers = {
          "content-type": "application/json",
          "user-agent": "Trainyard-Webhooks/1",
          ...webhookHeaders(secrets, d.messageId, Math.floor(startedAt.getTime() / 1000), body),
        };
        const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), shutdown.signal]);
        const res = await fetchFn(ep.url, { method: "POST", headers, body, signal });
        status = res.status;
        const text = await res.text().catch(() => "");
        // The start of the receiver's answer, for whoever reads the delivery log (the dashboard).
        response = text ? text.slice(0, 500) : null;
        if (status < 200 || status >= 300) {
          error = `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
          if (status === 429 || status === 503)
            for (const name of ["retry-after", "retry-after-ms"]) {
              const v = res.headers.get(name);
              if (v !== null) retryHeaders[name] = v;
            }
        }
      } catch (e) {
        error = describe(e, timeoutMs);
      }
    }
    const settledAt = clock();
    const wait =
      error === null || !ep?.enabled ? null : retryDelayMs(policy, d.attempts - 1, retryHeaders, opts.random, settledAt.getTime());
    const delay = wait === null ? null : Math.round(wait);
    const state = error === null ? "delivered" : delay === null ? "failed" : "pending";
    const entry = {
      attempt: d.attempts,
      at: startedAt.toISOString(),
      status,
      durationMs: Math.round(performance.now() - t0),
      error,
      response,
    };
    await recordDeliveryAttempt(db, d, {
      entry,
      state,
      nextAttemptAt: delay === null ? null : new Date(settledAt.getTime() + delay),
      settledAt,
    });
    const fields = { deliveryId: d.id, endpointId: d.endpointId, type: d.eventType, attempt: d.attempts, status, state };
    if (error) log.warn({ ...fields, error }, "webhook attempt failed");
    else log.info(fields, "webhook delivered");
  }

  let inFlight = 0;
  const tasks = new Set<Promise<void>>();
  const start = (d: ClaimedDelivery) => {
    inFlight++;
    const task: Promise<void> = attempt(d)
      .catch((err: unknown) => log.error({ err, deliveryId: d.id }, "recording a webhook attempt failed; retried after the lease"))
      .finally(() => {
        inFlight--;
        tasks.delete(task);
        kick();
      });
    tasks.add(task);
  };

  const loop = (async () => {
    while (!stopped) {
      const free = concurrency - inFlight;
      let claimed = 0;
      if (free > 0) {
        try {
          const now = clock();
          const batch = await claimDueDeliveries(db, free, now, new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS));
          claimed = batch.length;
          for (const d of batch) start(d);
        } catch (err) {
          if (!stopped) log.error({ err }, "claiming webhook deliveries failed");
        }
      }
      if (claimed > 0 && claimed === free) continue; // maybe more due: claim again once a slot frees
      if (nudged) {
        nudged = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
      nudged = false;
    }
    await Promise.allSettled([...tasks]);
  })();

  return {
    kick,
    async close() {
      stopped = true;
      shutdown.abort();
      wake?.();
      await loop;
      if (opts.subscriber) {
        await opts.subscriber.unsubscribe(channel).catch(() => undefined);
        await opts.subscriber.quit().catch(() => undefined);
      }
    },
  };
}
