/** Evaluation results, per-item outcomes and the generalization matrix. */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  CurvesResponse,
  EvalItemPage,
  EvalResultList,
  EvalResultResponse,
  type EvalTurn,
  MatrixCsv,
  MatrixResponse,
  TyError,
} from "@trainyard/contracts";
import { experimentCurves, experimentMatrix, isUuid, matrixCsv, type Prisma } from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { BY_ID, IdParams, replies } from "./schemas.js";

const MatrixQuery = z.object({
  select: z.enum(["paper", "ours", "last"]).default("paper"),
  format: z.enum(["json", "csv"]).default("json"),
});
const ItemsQuery = z.object({
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  success: z.enum(["true", "false"]).optional(),
});

/** The stored row as is, its dates as ISO strings (overridden in place: the row's field order is the answer's). */
function evalView(r: Prisma.EvalResultGetPayload<object>): EvalResultResponse {
  return {
    ...r,
    metrics: r.metrics as Record<string, unknown>,
    createdAt: r.createdAt.toISOString(),
    completedAt: r.completedAt?.toISOString() ?? null,
  };
}

export async function evalRoutes(appBase: FastifyInstance) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);

  app.get(
    "/experiments/:id/matrix",
    {
      schema: {
        summary: "The generalization matrix (arms × splits), JSON or CSV",
        params: IdParams,
        querystring: MatrixQuery,
        response: replies({ 200: { content: { "application/json": { schema: MatrixResponse }, ...MatrixCsv.content } } }, BY_ID),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const m = isUuid(id) ? await experimentMatrix(app.db, principalOf(req).projectId, id, req.query.select) : null;
      if (!m) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${id} not found`);
      if (req.query.format === "csv") {
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="matrix-${id}.csv"`)
          .send(matrixCsv(m));
      }
      // Its arrays are readonly and the manifest's overlap is stored JSON: the same JSON as typed.
      return m as unknown as MatrixResponse;
    },
  );

  app.get(
    "/experiments/:id/curves",
    {
      schema: {
        summary: "Success over checkpoints: per arm, seed and split, every evaluated checkpoint (the paper's Figure 1)",
        params: IdParams,
        response: replies({ 200: CurvesResponse }, BY_ID),
      },
    },
    async (req) => {
      const { id } = req.params;
      const c = isUuid(id) ? await experimentCurves(app.db, principalOf(req).projectId, id) : null;
      if (!c) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${id} not found`);
      return c;
    },
  );

  app.get(
    "/experiments/:id/evals",
    {
      schema: {
        summary: "Every evaluation of the experiment (one per arm, seed, checkpoint step and split)",
        params: IdParams,
        response: replies({ 200: EvalResultList }, BY_ID),
      },
    },
    async (req) => {
      const { id } = req.params;
      const exp = isUuid(id)
        ? await app.db.experiment.findFirst({ where: { id, projectId: principalOf(req).projectId }, select: { id: true } })
        : null;
      if (!exp) throw new TyError("TY_ERR_NOT_FOUND", `experiment ${id} not found`);
      const rows = await app.db.evalResult.findMany({
        where: { experimentId: id },
        orderBy: [{ arm: "asc" }, { seed: "asc" }, { step: "asc" }, { split: "asc" }],
      });
      return { items: rows.map(evalView) };
    },
  );

  const ownEval = async (projectId: string, id: string) =>
    isUuid(id) ? app.db.evalResult.findFirst({ where: { id, experiment: { projectId } } }) : null;

  app.get(
    "/evals/:id",
    { schema: { summary: "One evaluation result", params: IdParams, response: replies({ 200: EvalResultResponse }, BY_ID) } },
    async (req) => {
      const r = await ownEval(principalOf(req).projectId, req.params.id);
      if (!r) throw new TyError("TY_ERR_NOT_FOUND", `eval ${req.params.id} not found`);
      return evalView(r);
    },
  );

  app.get(
    "/evals/:id/items",
    {
      schema: {
        summary: "Per-item results of an evaluation (turns, parsed actions, failure reasons)",
        params: IdParams,
        querystring: ItemsQuery,
        response: replies({ 200: EvalItemPage }, BY_ID),
      },
    },
    async (req) => {
      const r = await ownEval(principalOf(req).projectId, req.params.id);
      if (!r) throw new TyError("TY_ERR_NOT_FOUND", `eval ${req.params.id} not found`);
      const q = req.query;
      const rows = await app.db.evalItem.findMany({
        where: { evalResultId: r.id, itemIndex: { gt: q.after }, ...(q.success ? { success: q.success === "true" } : {}) },
        orderBy: { itemIndex: "asc" },
        take: q.limit,
      });
      const items = rows.map((it) => ({
        ...it,
        id: String(it.id),
        turns: it.turns as EvalTurn[],
        usage: it.usage as Record<string, unknown>,
        createdAt: it.createdAt.toISOString(),
      }));
      return { items, nextAfter: items.length === q.limit ? items[items.length - 1]!.itemIndex : null };
    },
  );
}
