import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  EventStream,
  ExperimentCounts,
  ExperimentPage,
  ExperimentResponse,
  JobEventPage,
  JobList,
  JobState,
  PresetList,
  PresetResponse,
  ValidateResponse,
  PageQuery,
  PRESETS,
  PresetName,
  TyError,
  canonicalJson,
  computePolicyOf,
  cancelChannel,
  decodeCursor,
  encodeCursor,
  expandExperimentRequest,
  outboxChannel,
  estimateMemory,
  TaskName,
} from "@trainyard/contracts";
import {
  countExperiments,
  createExperiment,
  eventView,
  getExperiment,
  isUuid,
  listExperiments,
  requestCancelExperiment,
  sha256,
} from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { AfterQuery, BY_ID, IdParams, WRITE, replies } from "./schemas.js";
import { resumeCursor, streamSse } from "../sse.js";
import { checkProjectQuotas, limitsOf } from "../limits.js";
import { submittableSpec } from "../spec-checks.js";

const CreateBody = z
  .object({ preset: z.string().max(64).optional() })
  .catchall(z.unknown())
  .describe('A full ExperimentSpec, or `{ "preset": NAME, ...overrides }` (objects merge, arrays replace).');

const FilterQuery = z.object({
  task: TaskName.optional(),
  preset: z.string().max(64).optional(),
  q: z.string().trim().min(1).max(120).optional().describe("Case-insensitive substring of the experiment's name."),
});
const ListQuery = PageQuery.extend({
  state: JobState.optional(),
  ...FilterQuery.shape,
  view: z.enum(["full", "summary"]).default("full").describe("`summary` leaves out each experiment's `spec`."),
});

export async function experimentRoutes(appBase: FastifyInstance) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);
  const computePolicy = computePolicyOf(app.deps.config);
  const limits = limitsOf(app.deps.config);
  // The operator's GPU (node type) memory: the preflight's default for compute.resources.gpuMemoryGiB.
  const gpuMemoryGiB = app.deps.config.TRAINYARD_GPU_MEMORY_GIB ?? 80;
  const check = (body: unknown) =>
    submittableSpec(body, {
      computePolicy,
      limits,
      gpuMemoryGiB,
      allowPrivateWebhooks: app.deps.config.WEBHOOK_ALLOW_PRIVATE ?? false,
      allowedPorts: app.deps.config.WEBHOOK_ALLOWED_PORTS ?? [],
      ...(app.deps.lookup ? { lookup: app.deps.lookup } : {}),
    });

  app.post(
    "/experiments",
    {
      schema: {
        summary: "Submit an experiment",
        headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }),
        body: CreateBody,
        // 403: a compute setting off the allow-lists; 422: an idempotency key reused; 429: also quotas.
        response: replies({ 201: ExperimentResponse }, WRITE, [409, 422]),
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      // Every check that could fail later (compute allow-lists, caps, the dataset builder's own
      // validation, webhook targets) runs here, so a 201 never becomes a spec error in a job.
      const { spec, cost } = await check(req.body);
      const key = req.headers["idempotency-key"];
      const replay = key
        ? await app.db.idempotencyKey.findFirst({ where: { projectId: principal.projectId, key }, select: { key: true } })
        : null;
      if (!replay) await checkProjectQuotas(app.db, principal.projectId, cost, limits);
      const result = await createExperiment(app.db, {
        projectId: principal.projectId,
        spec,
        requestId: req.id,
        ...(key ? { idempotency: { key, requestHash: sha256(`POST /v1/experiments ${canonicalJson(req.body)}`) } } : {}),
      });
      if (!result.replayed) {
        // Wake the outbox relays now instead of at their next poll (best effort; they poll anyway).
        app.redis.publish(outboxChannel(app.deps.config.REDIS_PREFIX), "1").catch(() => undefined);
      } else {
        reply.header("idempotent-replayed", "true");
      }
      // A replay answers the status it stored: 201 (the only one createExperiment stores).
      return reply.status(result.statusCode as 201).send(result.body);
    },
  );

  app.get(
    "/experiments",
    { schema: { summary: "List experiments (newest first)", querystring: ListQuery, response: replies({ 200: ExperimentPage }) } },
    async (req) => {
      const q = req.query;
      let after: { createdAt: Date; id: string } | undefined;
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        if (!c)
          throw new TyError("TY_ERR_INVALID_CURSOR", "cursor is malformed", [
            { code: "custom", path: ["query", "cursor"], message: "malformed cursor" },
          ]);
        after = c;
      }
      const page = await listExperiments(app.db, {
        projectId: principalOf(req).projectId,
        limit: q.limit,
        after,
        state: q.state,
        task: q.task,
        preset: q.preset,
        q: q.q,
        view: q.view,
      });
      return { items: page.items, nextCursor: page.last ? encodeCursor(page.last.createdAt, page.last.id) : null };
    },
  );

  app.get(
    "/experiments/counts",
    {
      schema: {
        summary: "How many experiments match the filters, in total and per state",
        querystring: FilterQuery,
        response: replies({ 200: ExperimentCounts }),
      },
    },
    async (req) => countExperiments(app.db, { projectId: principalOf(req).projectId, ...req.query }),
  );

  app.post(
    "/experiments/validate",
    {
      schema: {
        summary: "Expand and validate an experiment request without submitting it",
        description: "The same body and errors as `POST /experiments`; nothing is stored or run.",
        body: CreateBody,
        response: replies({ 200: ValidateResponse }, WRITE),
      },
    },
    async (req) => ({ spec: (await check(req.body)).spec }),
  );

  const experimentOr404 = async (req: FastifyRequest, id: string) => {
    const exp = await getExperiment(app.db, principalOf(req).projectId, id);
    if (!exp) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${id} not found`);
    return exp;
  };

  app.get(
    "/experiments/:id",
    { schema: { summary: "Get an experiment with its jobs", params: IdParams, response: replies({ 200: ExperimentResponse }, BY_ID) } },
    async (req) => experimentOr404(req, req.params.id),
  );

  app.get(
    "/experiments/:id/jobs",
    { schema: { summary: "The experiment's jobs (DAG order)", params: IdParams, response: replies({ 200: JobList }, BY_ID) } },
    async (req) => {
      const exp = await experimentOr404(req, req.params.id);
      return { items: exp.jobs ?? [] };
    },
  );

  app.post(
    "/experiments/:id/cancel",
    { schema: { summary: "Cancel an experiment", params: IdParams, response: replies({ 202: ExperimentResponse }, BY_ID, WRITE) } },
    async (req, reply) => {
      const principal = principalOf(req);
      if (!isUuid(req.params.id)) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${req.params.id} not found`);
      const r = await requestCancelExperiment(app.db, principal.projectId, req.params.id, req.id);
      if (!r) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${req.params.id} not found`);
      if (r.running.length) {
        await app.redis.publish(cancelChannel(app.deps.config.REDIS_PREFIX), JSON.stringify({ jobIds: r.running, reqId: req.id }));
      }
      const exp = await getExperiment(app.db, principal.projectId, req.params.id);
      return reply.status(202).send(exp!);
    },
  );

  const ownExperiment = async (projectId: string, id: string) => {
    if (!isUuid(id)) return null;
    return app.db.experiment.findFirst({ where: { id, projectId }, select: { id: true } });
  };

  app.get(
    "/experiments/:id/events",
    {
      schema: {
        summary: "Events of all the experiment's jobs, by experimentSeq",
        params: IdParams,
        querystring: AfterQuery,
        response: replies({ 200: JobEventPage }, BY_ID),
      },
    },
    async (req) => {
      if (!(await ownExperiment(principalOf(req).projectId, req.params.id)))
        throw new TyError("TY_ERR_NOT_FOUND", `experiment ${req.params.id} not found`);
      const rows = await app.db.jobEvent.findMany({
        where: { experimentId: req.params.id, experimentSeq: { gt: req.query.after ?? 0 } },
        orderBy: { experimentSeq: "asc" },
        take: req.query.limit,
      });
      const items = rows.map(eventView);
      return { items, nextAfter: items.length ? items[items.length - 1]!.experimentSeq : (req.query.after ?? 0) };
    },
  );

  app.get(
    "/experiments/:id/events/stream",
    {
      schema: {
        summary: "Server-sent events of the experiment (resume with Last-Event-ID)",
        params: IdParams,
        querystring: AfterQuery,
        response: replies({ 200: EventStream }, BY_ID),
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      if (!(await ownExperiment(principalOf(req).projectId, id))) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${id} not found`);
      await streamSse(
        req,
        reply,
        {
          fetch: async (after, limit) =>
            (
              await app.db.jobEvent.findMany({
                where: { experimentId: id, experimentSeq: { gt: after } },
                orderBy: { experimentSeq: "asc" },
                take: limit,
              })
            ).map(eventView),
          cursor: (e) => e.experimentSeq,
          type: (e) => e.type,
          finished: async () => {
            const e = await app.db.experiment.findUnique({ where: { id }, select: { state: true } });
            return !e || ["succeeded", "failed", "cancelled"].includes(e.state);
          },
          last: async () =>
            (await app.db.jobEvent.aggregate({ where: { experimentId: id }, _max: { experimentSeq: true } }))._max.experimentSeq ?? 0,
        },
        resumeCursor(req, req.query.after),
        app.deps.ssePollMs ?? 250,
        app.sseGate,
      );
    },
  );

  app.get(
    "/presets",
    { schema: { summary: "Preset names and their expanded specs", response: replies({ 200: PresetList }) } },
    async () => ({
      items: PresetName.options.map((name) => {
        const spec = expandExperimentRequest({ preset: name });
        return { name, spec, estimate: estimateMemory(spec, gpuMemoryGiB) };
      }),
    }),
  );
  app.get(
    "/presets/:name",
    {
      schema: {
        summary: "One preset, expanded",
        params: z.object({ name: z.string().max(64) }),
        response: replies({ 200: PresetResponse }, BY_ID),
      },
    },
    async (req) => {
      const name = PresetName.safeParse(req.params.name);
      if (!name.success || !PRESETS[name.data]) throw new TyError("TY_ERR_NOT_FOUND", `preset ${req.params.name} not found`);
      const spec = expandExperimentRequest({ preset: name.data });
      return { name: name.data, spec, estimate: estimateMemory(spec, gpuMemoryGiB) };
    },
  );
}
