/**
 * The delivery queue over Postgres: claim due deliveries, record each attempt. A claim pushes
 * `next_attempt_at` past the attempt's timeout (a lease), so a deliverer that dies mid-attempt
 * leaves the delivery to be picked up again when the lease ends: at-least-once.
 */
import type { Db } from "@trainyard/db";
import type { WebhookAttemptLog } from "@trainyard/db";

export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** This attempt's number (already counted, so a crash loop cannot retry forever). */
  attempts: number;
  endpoint: { url: string; enabled: boolean; secrets: string[]; previousSecretsExpireAt: Date | null } | null;
}

/** Lock up to `limit` due pending deliveries (SKIP LOCKED: several deliverers never share one). */
export async function claimDueDeliveries(db: Db, limit: number, now: Date, leaseUntil: Date): Promise<ClaimedDelivery[]> {
  const rows = await db.$queryRaw<Omit<ClaimedDelivery, "endpoint">[]>`
    UPDATE webhook_deliveries d SET next_attempt_at = ${leaseUntil}::timestamp, attempts = d.attempts + 1
    FROM (
      SELECT id FROM webhook_deliveries
      WHERE state = 'pending' AND next_attempt_at <= ${now}::timestamp
      ORDER BY next_attempt_at, created_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) due
    WHERE d.id = due.id
    RETURNING d.id, d.endpoint_id AS "endpointId", d.message_id AS "messageId", d.event_type AS "eventType", d.payload, d.attempts`;
  if (rows.length === 0) return [];
  const endpoints = await db.webhookEndpoint.findMany({
    where: { id: { in: [...new Set(rows.map((r) => r.endpointId))] } },
    select: { id: true, url: true, enabled: true, secrets: true, previousSecretsExpireAt: true },
  });
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  return rows.map((r) => ({ ...r, endpoint: byId.get(r.endpointId) ?? null }));
}

export interface AttemptRecord {
  entry: WebhookAttemptLog;
  state: "pending" | "delivered" | "failed";
  /** When pending: the next attempt. */
  nextAttemptAt: Date | null;
  /** When the attempt ended (`delivered_at` if it succeeded). */
  settledAt: Date;
}

/**
 * Append the attempt to the log and settle the delivery. Guarded by the attempt number: if this
 * claim's lease ran out and another deliverer took the delivery, the later claim's record wins.
 */
export async function recordDeliveryAttempt(db: Db, d: Pick<ClaimedDelivery, "id" | "attempts">, r: AttemptRecord): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE webhook_deliveries SET
      state = ${r.state}::"DeliveryState",
      next_attempt_at = ${r.nextAttemptAt}::timestamp,
      last_status = ${r.entry.status}::int,
      last_error = ${r.entry.error}::text,
      delivered_at = CASE WHEN ${r.state} = 'delivered' THEN ${r.settledAt}::timestamp ELSE delivered_at END,
      log = log || ${JSON.stringify([r.entry])}::jsonb
    WHERE id = ${d.id}::uuid AND attempts = ${d.attempts} AND state = 'pending'`;
  return n > 0;
}
