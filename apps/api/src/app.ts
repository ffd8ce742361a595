/**
 * buildApp(deps) assembles the Fastify app and never listens (server.ts does), so tests call
 * app.inject() against a real database and Redis.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Db } from "@trainyard/db";
import { TyError, type ComputePolicy, type LookupAll, type RuntimeConfig } from "@trainyard/contracts";
import { hashApiKey } from "@trainyard/db";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import { errorAnswer, errorsPlugin, handleClientError, MAX_PARAM_LENGTH } from "./plugins/errors.js";
import { guardPlugin } from "./plugins/guard.js";
import { metricsPlugin } from "./plugins/metrics.js";
import { SseGate } from "./sse.js";
import { keyRoutes } from "./routes/keys.js";
import type { Limits } from "./limits.js";
import { authPlugin } from "./plugins/auth.js";
import { openapiPlugin } from "./plugins/openapi.js";
import { dashboardPlugin } from "./plugins/dashboard.js";
import { healthRoutes } from "./routes/health.js";
import { experimentRoutes } from "./routes/experiments.js";
import { jobRoutes } from "./routes/jobs.js";
import { adminRoutes, adminSessionRoutes } from "./routes/admin.js";
import { evalRoutes } from "./routes/evals.js";
import { datasetRoutes } from "./routes/datasets.js";
import { webhookRoutes } from "./routes/webhooks.js";

export interface AppDeps {
  db: Db;
  /** Commands (readiness, cancel and wake-up publishes). */
  redis: Redis;
  /** Missing compute policy entries allow nothing (no Slurm partition, account or QoS may be named). */
  config: Pick<RuntimeConfig, "REDIS_PREFIX" | "API_BODY_LIMIT_BYTES" | "LOG_LEVEL"> &
    Partial<
      Pick<
        RuntimeConfig,
        | "ARTIFACT_DIR"
        | "WEBHOOK_ALLOW_PRIVATE"
        | "WEBHOOK_ALLOWED_PORTS"
        | "DASHBOARD_DIR"
        | "ADMIN_QUEUES_WRITABLE"
        | "RATE_LIMIT_PER_MINUTE"
        | "REQUEST_TIMEOUT_MS"
        | "SSE_MAX_STREAMS_PER_KEY"
        | "SSE_MAX_STREAMS"
        | "CORS_ORIGINS"
        | "TRAINYARD_GPU_MEMORY_GIB"
      >
    > &
    Partial<ComputePolicy> &
    Partial<Limits>;
  logger?: Logger;
  /** SSE poll interval in ms (the longest an event waits before it is streamed). */
  ssePollMs?: number;
  /** DNS for webhook target checks (tests pin it; default dns.lookup of every address). */
  lookup?: LookupAll;
}

declare module "fastify" {
  interface FastifyInstance {
    db: Db;
    redis: Redis;
    deps: AppDeps;
    sseGate: SseGate;
    /** Every route's method, URL and response schemas, as registered (the response-contract test reads it). */
    routeContracts: RouteContract[];
  }
}

export interface RouteContract {
  method: string;
  url: string;
  hidden: boolean;
  response: Record<string, unknown>;
}

/** Routes other packages register (Swagger UI, bull-board, the dashboard's static files): not ours to describe. */
const FOREIGN_ROUTE = /^\/(?:docs|admin\/queues)(?:\/|$)|^\/\*$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: { level: deps.config.LOG_LEVEL } }),
    bodyLimit: deps.config.API_BODY_LIMIT_BYTES,
    // A client that trickles its request is cut off (408 from Node, answered by handleClientError).
    requestTimeout: deps.config.REQUEST_TIMEOUT_MS ?? 30_000,
    // Node's parser errors (bad request line, huge headers) answer the one error body too.
    clientErrorHandler: handleClientError,
    // Ids are UUIDs; a longer parameter matches no route and the not-found handler answers 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router-level errors (bad percent-encoding, long params) skip the error handler: answer here.
    frameworkErrors: (err, req, reply) => {
      const a = errorAnswer(err);
      req.log.info({ err }, a.body.message);
      void (reply as unknown as FastifyReply).status(a.status).send(a.body);
    },
    // Honour a caller's request id (bounded, printable) so logs join across services.
    genReqId: (req) => {
      const h = req.headers["x-request-id"];
      return typeof h === "string" && /^[\w.:-]{1,128}$/.test(h) ? h : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document and type the answers (packages/contracts/src/responses.ts) but never
  // reshape them: a schema-driven serializer drops fields the schema lacks and reorders the rest,
  // so bodies are written exactly as the handlers build them (what Fastify does with no schema).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Every route of ours declares its answers; one without them fails at start-up, not in a client.
  const routeContracts: RouteContract[] = [];
  app.decorate("routeContracts", routeContracts);
  app.addHook("onRoute", (route) => {
    if (FOREIGN_ROUTE.test(route.url)) return;
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (!response) throw new Error(`route ${String(route.method)} ${route.url} declares no response schema`);
    for (const method of [route.method].flat())
      routeContracts.push({ method, url: route.url, hidden: route.schema?.hide === true, response });
  });
  // JSON only: a text/plain body must be a 415, not a string that fails validation.
  app.removeContentTypeParser("text/plain");
  app.decorate("db", deps.db);
  app.decorate("redis", deps.redis);
  app.decorate("deps", deps);
  app.decorate("sseGate", new SseGate({ perKey: deps.config.SSE_MAX_STREAMS_PER_KEY ?? 8, total: deps.config.SSE_MAX_STREAMS ?? 200 }));
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });

  await app.register(errorsPlugin);
  // Security headers; the CSP is the dashboard's own (pages only), JSON needs none.
  await app.register(helmet, { global: true, contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  await app.register(rateLimit, {
    global: true,
    max: deps.config.RATE_LIMIT_PER_MINUTE ?? 1200,
    timeWindow: 60_000,
    // Per key when one is sent (hashed: the key itself never sits in memory as a map key), else per address.
    keyGenerator: (req) => {
      const m = /^Bearer\s+(\S{1,300})\s*$/i.exec(req.headers.authorization ?? "");
      return m?.[1] ? `k:${hashApiKey(m[1]).slice(0, 32)}` : `ip:${req.ip}`;
    },
    allowList: (req) => req.url === "/healthz" || req.url === "/readyz",
    errorResponseBuilder: (_req, ctx) =>
      new TyError("TY_ERR_RATE_LIMITED", `rate limit of ${ctx.max} requests per minute reached; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  await app.register(guardPlugin, { corsOrigins: deps.config.CORS_ORIGINS ?? [] });
  await app.register(authPlugin);
  await app.register(metricsPlugin);
  await app.register(openapiPlugin);
  await app.register(healthRoutes);
  await app.register(experimentRoutes, { prefix: "/v1" });
  await app.register(jobRoutes, { prefix: "/v1" });
  await app.register(evalRoutes, { prefix: "/v1" });
  await app.register(datasetRoutes, { prefix: "/v1", ...(deps.config.ARTIFACT_DIR ? { artifactDir: deps.config.ARTIFACT_DIR } : {}) });
  await app.register(webhookRoutes, {
    prefix: "/v1",
    allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE ?? false,
    allowedPorts: deps.config.WEBHOOK_ALLOWED_PORTS ?? [],
    ...(deps.lookup ? { lookup: deps.lookup } : {}),
  });
  await app.register(keyRoutes, { prefix: "/v1" });
  await app.register(adminSessionRoutes);
  await app.register(adminRoutes, { prefix: "/admin/queues" });
  await app.register(dashboardPlugin, { dir: deps.config.DASHBOARD_DIR });
  return app as unknown as FastifyInstance;
}
