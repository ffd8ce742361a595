import { createHash } from "node:crypto";
import { canonicalJson, JOB_CATALOGUE, JobState, parseStoredSpec, planJobs, TyError, type ExperimentSpec } from "@trainyard/contracts";
import { prismaCode, type Db, type Tx } from "./client.js";
import { appendEvent } from "./events.js";
import { toDbKind } from "./kinds.js";
import { writeOutbox } from "./outbox.js";
import type { ExperimentResponse } from "@trainyard/contracts";
import { experimentView, experimentWithJobs } from "./views.js";
import { afterCursor, newestFirst } from "./pagination.js";

export interface CreateExperimentInput {
  projectId: string;
  spec: ExperimentSpec;
  /** Idempotency-Key header and a hash of the request it came with. */
  idempotency?: { key: string; requestHash: string };
  /** The submitting request's id: stored in every job's payload so worker and trainer logs carry it. */
  requestId?: string;
}

export interface CreateExperimentResult {
  statusCode: number;
  body: ExperimentResponse;
  /** True when an earlier identical request's stored answer is replayed. */
  replayed: boolean;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Experiment, its job DAG, the initial status events and the enqueue intents: one transaction. */
async function insertExperiment(tx: Tx, projectId: string, spec: ExperimentSpec, requestId?: string): Promise<ExperimentResponse> {
  const exp = await tx.experiment.create({
    data: { projectId, name: spec.name, task: spec.task, preset: spec.preset, spec: spec as object, specHash: sha256(canonicalJson(spec)) },
  });
  const planned = planJobs(spec);
  for (const p of planned) {
    const cat = JOB_CATALOGUE[p.kind];
    const ready = p.dependsOn.length === 0;
    const job = await tx.job.create({
      data: {
        experimentId: exp.id,
        kind: toDbKind(p.kind),
        name: p.name,
        arm: p.arm,
        seed: p.seed,
        dependsOn: p.dependsOn,
        payload: { ...p.params, ...(requestId ? { requestId } : {}) } as object,
        maxAttempts: cat.attempts,
        enqueuedAt: ready ? new Date() : null,
      },
    });
    await appendEvent(tx, job, "status", {
      state: "queued",
      attempt: 0,
      message: ready ? "ready" : `waiting for ${p.dependsOn.join(", ")}`,
    });
    if (ready) await writeOutbox(tx, "job.enqueue", { jobId: job.id, experimentId: exp.id, kind: p.kind });
  }
  const fresh = await tx.experiment.findUniqueOrThrow({ where: { id: exp.id } });
  const jobs = await tx.job.findMany({ where: { experimentId: exp.id }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
  return experimentWithJobs(
    fresh,
    sortJobs(
      jobs,
      planned.map((p) => p.name),
    ),
  );
}

function sortJobs<T extends { name: string }>(jobs: T[], order: string[]): T[] {
  const idx = new Map(order.map((n, i) => [n, i]));
  return [...jobs].sort((a, b) => (idx.get(a.name) ?? 0) - (idx.get(b.name) ?? 0));
}

/**
 * Create an experiment. With an idempotency key, concurrent identical requests store one
 * experiment: the key row is inserted first in the same transaction, so a second request blocks
 * on the unique index until the first commits, then replays its stored answer.
 */
export async function createExperiment(db: Db, input: CreateExperimentInput): Promise<CreateExperimentResult> {
  const { projectId, spec, idempotency, requestId } = input;
  if (!idempotency) {
    const body = await db.$transaction((tx) => insertExperiment(tx, projectId, spec, requestId), { timeout: 30_000 });
    return { statusCode: 201, body, replayed: false };
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const created = await db.$transaction(
        async (tx) => {
          const inserted = await tx.$executeRaw`
            INSERT INTO idempotency_keys (project_id, key, request_hash, status_code, response_body)
            VALUES (${projectId}::uuid, ${idempotency.key}, ${idempotency.requestHash}, 0, 'null'::jsonb)
            ON CONFLICT DO NOTHING`;
          if (inserted === 0) return null;
          const body = await insertExperiment(tx, projectId, spec, requestId);
          await tx.idempotencyKey.update({
            where: { projectId_key: { projectId, key: idempotency.key } },
            data: { statusCode: 201, responseBody: body as object },
          });
          return body;
        },
        { timeout: 30_000 },
      );
      if (created) return { statusCode: 201, body: created, replayed: false };
      const stored = await db.idempotencyKey.findUnique({ where: { projectId_key: { projectId, key: idempotency.key } } });
      if (!stored) continue; // the first request rolled back: try to be the first now
      if (stored.requestHash !== idempotency.requestHash) {
        throw new TyError("TY_ERR_IDEMPOTENCY_MISMATCH", "this Idempotency-Key was used with a different request", [
          { code: "custom", path: ["headers", "idempotency-key"], message: "reused with a different body" },
        ]);
      }
      return { statusCode: stored.statusCode, body: stored.responseBody as unknown as ExperimentResponse, replayed: true };
    } catch (e) {
      if (prismaCode(e) === "P2002" || prismaCode(e) === "P2034") continue;
      throw e;
    }
  }
  throw new TyError("TY_ERR_CONFLICT", "could not settle the idempotent request; retry it");
}

export interface ExperimentFilters {
  projectId: string;
  state?: string | undefined;
  task?: string | undefined;
  preset?: string | undefined;
  /** Case-insensitive substring of the name. */
  q?: string | undefined;
}

export interface ListExperimentsQuery extends ExperimentFilters {
  limit: number;
  after?: { createdAt: Date; id: string } | undefined;
  /** `summary` leaves out each experiment's spec (the list page needs none of it). */
  view?: "full" | "summary";
}

function filterWhere(q: ExperimentFilters) {
  return {
    projectId: q.projectId,
    ...(q.state ? { state: q.state as never } : {}),
    ...(q.task ? { task: q.task } : {}),
    ...(q.preset ? { preset: q.preset } : {}),
    // Prisma hands `contains` to ILIKE as is: escape LIKE's wildcards so they match themselves.
    ...(q.q ? { name: { contains: q.q.replace(/[\\%_]/g, "\\$&"), mode: "insensitive" as const } } : {}),
  };
}

/** Newest first, keyset-paginated on (createdAt, id). */
export async function listExperiments(db: Db, q: ListExperimentsQuery) {
  const rows = await db.experiment.findMany({
    where: {
      ...filterWhere(q),
      ...afterCursor(q.after),
    },
    orderBy: newestFirst(),
    take: q.limit + 1,
  });
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const items = page.map((e) => {
    const v = experimentView(e);
    if (q.view !== "summary") return v;
    const { spec: _spec, ...rest } = v;
    return rest;
  });
  return { items, last: more ? (page[page.length - 1] ?? null) : null };
}

/** How many experiments match the filters (state aside), in total and per state. */
export async function countExperiments(db: Db, q: Omit<ExperimentFilters, "state">) {
  const groups = await db.experiment.groupBy({ by: ["state"], where: filterWhere(q), _count: { _all: true } });
  const byState = Object.fromEntries(JobState.options.map((s) => [s, 0])) as Record<JobState, number>;
  for (const g of groups) byState[g.state] = g._count._all;
  return { total: Object.values(byState).reduce((a, b) => a + b, 0), byState };
}

export async function getExperiment(db: Db, projectId: string, id: string): Promise<ExperimentResponse | null> {
  if (!isUuid(id)) return null;
  const exp = await db.experiment.findFirst({ where: { id, projectId } });
  if (!exp) return null;
  const jobs = await db.job.findMany({ where: { experimentId: id } });
  const order = planJobs(parseStoredSpec(exp.spec)).map((p) => p.name);
  return experimentWithJobs(exp, sortJobs(jobs, order));
}

export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
