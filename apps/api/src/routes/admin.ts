/**
 * Operator pages: bull-board at /admin/queues (every project's jobs, so an operator key only) and
 * POST /admin/session, which turns a bearer operator key into the HttpOnly, SameSite=Strict
 * `ty_key` cookie a browser needs to open bull-board. bull-board is read-only (no pause, clean,
 * retry or add) unless ADMIN_QUEUES_WRITABLE=true.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Queue } from "bullmq";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import { ApiErrorBody, NoBody, QUEUE_NAMES, TyError } from "@trainyard/contracts";
import { errorAnswer, errorBody } from "../plugins/errors.js";
import { KEY_COOKIE } from "../plugins/auth.js";
import { dependencyFailure, withDeadline } from "../dependencies.js";

const READ_METHODS = new Set(["GET", "HEAD"]);

/** bull-board installs its own error handler, so failures are answered here directly. */
async function answer(reply: FastifyReply, e: unknown): Promise<FastifyReply> {
  if (e instanceof TyError) return reply.status(e.statusCode).send(errorBody(e.code, e.message, e.issues));
  const dep = dependencyFailure(e);
  if (dep)
    return reply
      .status(503)
      .header("retry-after", "5")
      .send(errorBody("TY_ERR_DEPENDENCY_UNAVAILABLE", `${dep} is unavailable; retry later`));
  throw e;
}

export async function adminRoutes(app: FastifyInstance) {
  const writable = app.deps.config.ADMIN_QUEUES_WRITABLE ?? false;
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      await app.authenticateOperator(req);
      if (!writable && !READ_METHODS.has(req.method))
        throw new TyError("TY_ERR_FORBIDDEN", "bull-board is read-only on this deployment (operators: ADMIN_QUEUES_WRITABLE=true)");
      // The queues' own connections wait for Redis forever (BullMQ needs that); answer 503 instead.
      if (req.url.startsWith("/admin/queues/api/")) await withDeadline(app.redis.ping(), 1500, "redis");
    } catch (e) {
      return answer(reply, e);
    }
  });
  // bull-board's controllers answer some 4xx themselves ({ error: "Queue not found" }): give those
  // the API's error body too, so every client error carries a TY_ERR_* code.
  app.addHook("onSend", async (_req, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== "string") return payload;
    try {
      const body = JSON.parse(payload) as { code?: unknown; error?: unknown; message?: unknown };
      if (typeof body.code === "string" && body.code.startsWith("TY_ERR_")) return payload;
      const a = errorAnswer(
        Object.assign(new Error(String(body.message ?? body.error ?? "request refused")), { statusCode: reply.statusCode }) as never,
      );
      reply.status(a.status).header("content-type", "application/json; charset=utf-8");
      return JSON.stringify(a.body);
    } catch {
      return payload;
    }
  });
  const prefix = app.deps.config.REDIS_PREFIX;
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: app.redis.duplicate({ maxRetriesPerRequest: null }), prefix }));
  for (const q of queues) q.on("error", () => undefined); // reconnects on its own; /readyz reports Redis
  app.addHook("onClose", async () => {
    await Promise.all(queues.map((q) => q.close()));
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath("/admin/queues");
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: !writable })), serverAdapter });
  // bull-board answers its routes' errors itself: keep the API's one error body there too.
  serverAdapter.setErrorHandler((err) => {
    const a = errorAnswer(err as Parameters<typeof errorAnswer>[0]);
    if (a.level !== "info") app.log.warn({ err }, "bull-board request failed");
    return { status: a.status as 500, body: a.body as unknown as { error: string } };
  });
  await app.register(serverAdapter.registerPlugin());
}

/** POST /admin/session (bearer operator key → cookie) and DELETE /admin/session (sign out). */
export async function adminSessionRoutes(app: FastifyInstance) {
  const refused = { 401: ApiErrorBody, 403: ApiErrorBody, 429: ApiErrorBody, 500: ApiErrorBody, 503: ApiErrorBody };
  app.post("/admin/session", { schema: { hide: true, response: { 204: NoBody, ...refused } } }, async (req, reply) => {
    if (!req.headers.authorization) throw new TyError("TY_ERR_UNAUTHORIZED", "send the operator key as `Authorization: Bearer <key>`");
    await app.authenticateOperator(req);
    const key = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization)?.[1] ?? "";
    const secure = req.protocol === "https" ? "; Secure" : "";
    reply.header("set-cookie", `${KEY_COOKIE}=${encodeURIComponent(key)}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=28800${secure}`);
    return reply.status(204).send();
  });
  app.delete("/admin/session", { schema: { hide: true, response: { 204: NoBody, 403: ApiErrorBody } } }, async (_req, reply) => {
    reply.header("set-cookie", `${KEY_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.status(204).send();
  });
}
