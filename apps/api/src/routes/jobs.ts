import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AttemptView, CheckpointView, EventStream, JobEventPage, JobResponse, TyError } from "@trainyard/contracts";
import { eventView, isUuid, jobAttempts, jobCheckpoints, jobView } from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { AfterQuery, BY_ID, IdParams, replies } from "./schemas.js";
import { resumeCursor, streamSse } from "../sse.js";

export async function jobRoutes(appBase: FastifyInstance) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);

  const ownJob = async (projectId: string, id: string) => {
    if (!isUuid(id)) return null;
    return app.db.job.findFirst({ where: { id, experiment: { projectId } } });
  };

  app.get(
    "/jobs/:id",
    { schema: { summary: "Get a job", params: IdParams, response: replies({ 200: JobResponse }, BY_ID) } },
    async (req) => {
      const job = await ownJob(principalOf(req).projectId, req.params.id);
      if (!job) throw new TyError("TY_ERR_NOT_FOUND", `job ${req.params.id} not found`);
      return jobView(job);
    },
  );

  app.get(
    "/jobs/:id/checkpoints",
    {
      schema: {
        summary: "The job's checkpoints, by step",
        params: IdParams,
        response: replies({ 200: z.object({ items: z.array(CheckpointView) }) }, BY_ID),
      },
    },
    async (req) => {
      const job = await ownJob(principalOf(req).projectId, req.params.id);
      if (!job) throw new TyError("TY_ERR_NOT_FOUND", `job ${req.params.id} not found`);
      return { items: await jobCheckpoints(app.db, job.id) };
    },
  );

  app.get(
    "/jobs/:id/attempts",
    {
      schema: {
        summary: "The job's attempts: when each ran, how it ended, its failure kind and error",
        params: IdParams,
        response: replies({ 200: z.object({ items: z.array(AttemptView) }) }, BY_ID),
      },
    },
    async (req) => {
      const job = await ownJob(principalOf(req).projectId, req.params.id);
      if (!job) throw new TyError("TY_ERR_NOT_FOUND", `job ${req.params.id} not found`);
      return { items: await jobAttempts(app.db, job.id) };
    },
  );

  app.get(
    "/jobs/:id/events",
    {
      schema: {
        summary: "A job's events after a sequence number",
        params: IdParams,
        querystring: AfterQuery,
        response: replies({ 200: JobEventPage }, BY_ID),
      },
    },
    async (req) => {
      const job = await ownJob(principalOf(req).projectId, req.params.id);
      if (!job) throw new TyError("TY_ERR_NOT_FOUND", `job ${req.params.id} not found`);
      const rows = await app.db.jobEvent.findMany({
        where: { jobId: job.id, seq: { gt: req.query.after ?? 0 } },
        orderBy: { seq: "asc" },
        take: req.query.limit,
      });
      const items = rows.map(eventView);
      return { items, nextAfter: items.length ? items[items.length - 1]!.seq : (req.query.after ?? 0) };
    },
  );

  app.get(
    "/jobs/:id/events/stream",
    {
      schema: {
        summary: "Server-sent events of a job (resume with Last-Event-ID)",
        params: IdParams,
        querystring: AfterQuery,
        response: replies({ 200: EventStream }, BY_ID),
      },
    },
    async (req, reply) => {
      const job = await ownJob(principalOf(req).projectId, req.params.id);
      if (!job) throw new TyError("TY_ERR_NOT_FOUND", `job ${req.params.id} not found`);
      await streamSse(
        req,
        reply,
        {
          fetch: async (after, limit) =>
            (await app.db.jobEvent.findMany({ where: { jobId: job.id, seq: { gt: after } }, orderBy: { seq: "asc" }, take: limit })).map(
              eventView,
            ),
          cursor: (e) => e.seq,
          type: (e) => e.type,
          finished: async () => {
            const j = await app.db.job.findUnique({ where: { id: job.id }, select: { state: true } });
            return !j || ["succeeded", "failed", "cancelled"].includes(j.state);
          },
          last: async () => (await app.db.jobEvent.aggregate({ where: { jobId: job.id }, _max: { seq: true } }))._max.seq ?? 0,
        },
        resumeCursor(req, req.query.after),
        app.deps.ssePollMs ?? 250,
        app.sseGate,
      );
    },
  );
}
