/**
 * Webhook endpoints and deliveries. Postgres is the queue: an event is emitted inside the
 * transaction of the state change it reports (outbox pattern) as one pending WebhookDelivery per
 * enabled endpoint of the project whose filter matches; apps/worker/src/webhooks sends them at
 * least once.
 */
import {
  boundSummary,
  generateWebhookSecret,
  newWebhookMessageId,
  TyError,
  type CreateWebhookEndpoint,
  type UpdateWebhookEndpoint,
  type WebhookEventData,
  type WebhookEventType,
  type WebhookDeliveryResponse,
  type WebhookMessageType,
} from "@trainyard/contracts";
import type { Db, Tx } from "./client.js";
import type { WebhookDelivery, WebhookEndpoint } from "./generated/prisma/client.js";
import { isUuid } from "./experiments.js";
import { fromDbKind } from "./kinds.js";
import { afterCursor, newestFirst } from "./pagination.js";

/** How long the previous secrets keep signing after a rotation. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600 * 1000;
/** Endpoints per project (the list is not paginated). */
export const MAX_WEBHOOK_ENDPOINTS = 50;

/** A WebhookPayload (contracts), as stored in the delivery row. */
function payloadOf(projectId: string, type: WebhookMessageType, data: WebhookEventData, now: Date): object {
  const links = data.links ?? {
    ...(data.experimentId
      ? { experiment: `/v1/experiments/${data.experimentId}`, events: `/v1/experiments/${data.experimentId}/events` }
      : {}),
    ...(data.jobId ? { job: `/v1/jobs/${data.jobId}` } : {}),
  };
  return {
    type,
    timestamp: now.toISOString(),
    data: {
      projectId,
      experimentId: data.experimentId,
      jobId: data.jobId,
      ...(data.evalId ? { evalId: data.evalId } : {}),
      state: data.state,
      summary: boundSummary(data.summary),
      links,
    },
  };
}

/**
 * Emit an event to every enabled endpoint of the project subscribed to `type`. Call it inside the
 * transaction of the state change: the deliveries commit (or roll back) with it. Returns how many
 * deliveries were queued. The eval job emits `eval.completed` with `summary: { arm, seed, step,
 * splits: [{ split, n, success, validity, meanReward }] }`.
 */
export async function emitWebhookEvent(
  tx: Tx,
  projectId: string,
  type: WebhookEventType,
  data: WebhookEventData,
  now = new Date(),
): Promise<number> {
  const endpoints = await tx.webhookEndpoint.findMany({ where: { projectId, enabled: true, events: { has: type } }, select: { id: true } });
  if (endpoints.length === 0) return 0;
  const payload = payloadOf(projectId, type, data, now);
  const messageId = newWebhookMessageId(); // one message, the same webhook-id at every endpoint
  await tx.webhookDelivery.createMany({
    data: endpoints.map((e) => ({ endpointId: e.id, messageId, eventType: type, payload, nextAttemptAt: now })),
  });
  return endpoints.length;
}

/** Job state machine hook: the job just became `failed` (for good) or `cancelled`. */
export async function emitJobWebhook(tx: Tx, jobId: string, type: "job.failed" | "job.cancelled"): Promise<void> {
  const job = await tx.job.findUniqueOrThrow({ where: { id: jobId }, include: { experiment: { select: { projectId: true } } } });
  const error = job.error as { code?: string; message?: string } | null;
  await emitWebhookEvent(tx, job.experiment.projectId, type, {
    experimentId: job.experimentId,
    jobId: job.id,
    state: job.state,
    summary: {
      name: job.name,
      kind: fromDbKind(job.kind),
      arm: job.arm,
      seed: job.seed,
      attempts: job.attempts,
      failureKind: job.failureKind,
      error: error ? { code: String(error.code ?? "TY_ERR_JOB_FAILED"), message: String(error.message ?? "").slice(0, 2000) } : null,
    },
  });
}

/** Experiment hook: every job reached a terminal state (the experiment succeeded, failed or was cancelled). */
export async function emitExperimentCompleted(tx: Tx, experimentId: string): Promise<void> {
  const exp = await tx.experiment.findUniqueOrThrow({ where: { id: experimentId } });
  const counts = await tx.job.groupBy({ by: ["state"], where: { experimentId }, _count: { _all: true } });
  const results = await tx.evalResult.findMany({
    where: { experimentId },
    select: { arm: true, seed: true, split: true, step: true, n: true, success: true, validity: true, meanReward: true },
    orderBy: [{ arm: "asc" }, { seed: "asc" }, { split: "asc" }, { step: "asc" }],
    take: 1000,
  });
  await emitWebhookEvent(tx, exp.projectId, "experiment.completed", {
    experimentId,
    jobId: null,
    state: exp.state,
    summary: {
      name: exp.name,
      task: exp.task,
      preset: exp.preset,
      progress: exp.progress,
      durationSeconds: exp.finishedAt ? Math.round((exp.finishedAt.getTime() - exp.createdAt.getTime()) / 1000) : null,
      jobs: Object.fromEntries(counts.map((c) => [c.state, c._count._all])),
      results,
    },
  });
}

// --- Endpoints -----------------------------------------------------------------------------------

/** The API shape of an endpoint: never its secrets (shown once, on create and rotate). */
export function webhookEndpointView(e: WebhookEndpoint, now = new Date()) {
  // One place decides whether the previous secret still signs: the deliverer's activeWebhookSecrets.
  const overlap = activeWebhookSecrets(e, now).length > 1;
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    /** Until when the secret before the last rotation still signs; null outside an overlap. */
    previousSecretExpiresAt: overlap ? e.previousSecretsExpireAt!.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
export type WebhookEndpointView = ReturnType<typeof webhookEndpointView>;

/** The secrets that sign a delivery now: the newest, plus the previous one during its overlap. */
export function activeWebhookSecrets(e: Pick<WebhookEndpoint, "secrets" | "previousSecretsExpireAt">, now = new Date()): string[] {
  const overlap = e.previousSecretsExpireAt && e.previousSecretsExpireAt > now;
  return overlap ? e.secrets : e.secrets.slice(0, 1);
}

async function ownEndpoint(db: Db | Tx, projectId: string, id: string) {
  return isUuid(id) ? db.webhookEndpoint.findFirst({ where: { id, projectId } }) : null;
}

export async function createWebhookEndpoint(db: Db, projectId: string, input: CreateWebhookEndpoint) {
  const secret = generateWebhookSecret();
  // Count and insert under a per-project advisory lock: concurrent creates must not all see 49.
  const e = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`webhooks:${projectId}`}, 0))`;
    if ((await tx.webhookEndpoint.count({ where: { projectId } })) >= MAX_WEBHOOK_ENDPOINTS) {
      throw new TyError("TY_ERR_CONFLICT", `a project has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first`);
    }
    return tx.webhookEndpoint.create({
      data: { projectId, url: input.url, events: [...new Set(input.events)], description: input.description ?? null, secrets: [secret] },
    });
  });
  return { ...webhookEndpointView(e), secret };
}

export async function listWebhookEndpoints(db: Db, projectId: string) {
  const rows = await db.webhookEndpoint.findMany({ where: { projectId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map((e) => webhookEndpointView(e));
}

export async function getWebhookEndpoint(db: Db, projectId: string, id: string) {
  const e = await ownEndpoint(db, projectId, id);
  return e ? webhookEndpointView(e) : null;
}

export async function updateWebhookEndpoint(db: Db, projectId: string, id: string, patch: UpdateWebhookEndpoint) {
  if (!(await ownEndpoint(db, projectId, id))) return null;
  const e = await db.webhookEndpoint.update({
    where: { id },
    data: {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
    },
  });
  return webhookEndpointView(e);
}

/** Deletes the endpoint and its delivery log. */
export async function deleteWebhookEndpoint(db: Db, projectId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await db.webhookEndpoint.deleteMany({ where: { id, projectId } })).count > 0;
}

/**
 * New signing secret; the current one keeps signing for 24 h (receivers switch over meanwhile).
 * A second rotation inside the overlap drops the oldest secret: at most two ever sign.
 */
export async function rotateWebhookSecret(db: Db, projectId: string, id: string, now = new Date()) {
  const cur = await ownEndpoint(db, projectId, id);
  if (!cur) return null;
  const secret = generateWebhookSecret();
  const e = await db.webhookEndpoint.update({
    where: { id },
    data: { secrets: [secret, ...cur.secrets.slice(0, 1)], previousSecretsExpireAt: new Date(now.getTime() + WEBHOOK_SECRET_OVERLAP_MS) },
  });
  return { ...webhookEndpointView(e, now), secret };
}

// --- Deliveries ----------------------------------------------------------------------------------

/** One attempt, as appended to a delivery's log. */
export interface WebhookAttemptLog {
  attempt: number;
  at: string;
  /** HTTP status, or null when no answer came (connection refused, timeout, target refused). */
  status: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the receiver's answer (500 characters at most); absent on older entries. */
  response?: string | null;
}

export function webhookDeliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    messageId: d.messageId,
    eventType: d.eventType as WebhookMessageType,
    state: d.state,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    nextAttemptAt: d.state === "pending" ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    log: d.log as unknown as WebhookAttemptLog[],
  };
}

/** One delivery's answer: the list's view plus the signed message. */
function webhookDeliveryWithPayload(d: WebhookDelivery): WebhookDeliveryResponse {
  return { ...webhookDeliveryView(d), payload: d.payload };
}
export type WebhookDeliveryView = ReturnType<typeof webhookDeliveryView>;

/** "Send test event": a `webhook.test` delivery to this endpoint only, whatever its filter. */
export async function sendWebhookTest(db: Db, projectId: string, id: string, now = new Date()) {
  const e = await ownEndpoint(db, projectId, id);
  if (!e) return null;
  if (!e.enabled) throw new TyError("TY_ERR_CONFLICT", "the endpoint is disabled; enable it to send a test event");
  const payload = payloadOf(
    projectId,
    "webhook.test",
    {
      experimentId: null,
      jobId: null,
      state: "test",
      summary: { message: "Test event from Trainyard", endpointId: e.id },
      links: { endpoint: `/v1/webhooks/${e.id}` },
    },
    now,
  );
  const d = await db.webhookDelivery.create({
    data: { endpointId: e.id, messageId: newWebhookMessageId(), eventType: "webhook.test", payload, nextAttemptAt: now },
  });
  return webhookDeliveryWithPayload(d);
}

/** Newest first, keyset-paginated on (createdAt, id); null when the endpoint is not the project's. */
export async function listWebhookDeliveries(
  db: Db,
  q: { projectId: string; endpointId: string; limit: number; after?: { createdAt: Date; id: string } | undefined },
) {
  if (!(await ownEndpoint(db, q.projectId, q.endpointId))) return null;
  const rows = await db.webhookDelivery.findMany({
    where: {
      endpointId: q.endpointId,
      ...afterCursor(q.after),
    },
    orderBy: newestFirst(),
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  return { items: page.map((d) => webhookDeliveryView(d)), last: rows.length > q.limit ? (page[page.length - 1] ?? null) : null };
}

async function ownDelivery(db: Db, projectId: string, deliveryId: string) {
  if (!isUuid(deliveryId)) return null;
  return db.webhookDelivery.findFirst({ where: { id: deliveryId, endpoint: { projectId } }, include: { endpoint: true } });
}

export async function getWebhookDelivery(db: Db, projectId: string, deliveryId: string) {
  const d = await ownDelivery(db, projectId, deliveryId);
  return d ? webhookDeliveryWithPayload(d) : null;
}

/**
 * Send a message again: a new delivery (fresh attempts and log) with the same payload and the
 * same `webhook-id`, so a receiver that already processed it can recognise the duplicate.
 */
export async function redeliverWebhook(db: Db, projectId: string, deliveryId: string, now = new Date()) {
  const d = await ownDelivery(db, projectId, deliveryId);
  if (!d) return null;
  if (!d.endpoint.enabled) throw new TyError("TY_ERR_CONFLICT", "the endpoint is disabled; enable it to redeliver");
  const copy = await db.webhookDelivery.create({
    data: { endpointId: d.endpointId, messageId: d.messageId, eventType: d.eventType, payload: d.payload as object, nextAttemptAt: now },
  });
  return webhookDeliveryWithPayload(copy);
}
