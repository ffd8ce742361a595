/**
 * buildApp(deps) assembles the Fastify app and never listens (server.ts does), so tests call
 * app.inject() against a real database and Redis.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Db } from "@trainyard/db";
import type { ComputePolicy, RuntimeConfig } from "@trainyard/contracts";
import { errorsPlugin } from "./plugins/errors.js";
import { authPlugin } from "./plugins/auth.js";
import { openapiPlugin } from "./plugins/openapi.js";
import { dashboardPlugin } from "./plugins/dashboard.js";
import { healthRoutes } from "./routes/health.js";
import { experimentRoutes } from "./routes/experiments.js";
import { jobRoutes } from "./routes/jobs.js";
import { adminRoutes } from "./routes/admin.js";
import { evalRoutes } from "./routes/evals.js";
import { datasetRoutes } from "./routes/datasets.js";
import { webhookRoutes } from "./routes/webhooks.js";

export interface AppDeps {
  db: Db;
  /** Commands (readiness, cancel and wake-up publishes). */
  redis: Redis;
  /** Missing compute policy entries allow nothing (no Slurm partition, account or QoS may be named). */
  config: Pick<RuntimeConfig, "REDIS_PREFIX" | "API_BODY_LIMIT_BYTES" | "LOG_LEVEL"> &
    Partial<Pick<RuntimeConfig, "ARTIFACT_DIR" | "WEBHOOK_ALLOW_PRIVATE" | "DASHBOARD_DIR" | "TRAINYARD_GPU_MEMORY_GIB">> &
    Partial<ComputePolicy>;
  logger?: Logger;
  /** SSE poll interval in ms (the longest an event waits before it is streamed). */
  ssePollMs?: number;
}

declare module "fastify" {
  interface FastifyInstance {
    db: Db;
    redis: Redis;
    deps: AppDeps;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: { level: deps.config.LOG_LEVEL } }),
    bodyLimit: deps.config.API_BODY_LIMIT_BYTES,
    // Honour a caller's request id (bounded, printable) so logs join across services.
    genReqId: (req) => {
      const h = req.headers["x-request-id"];
      return typeof h === "string" && /^[\w.:-]{1,128}$/.test(h) ? h : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body must be a 415, not a string that fails validation.
  app.removeContentTypeParser("text/plain");
  app.decorate("db", deps.db);
  app.decorate("redis", deps.redis);
  app.decorate("deps", deps);
  app.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });

  await app.register(errorsPlugin);
  await app.register(authPlugin);
  await app.register(openapiPlugin);
  await app.register(healthRoutes);
  await app.register(experimentRoutes, { prefix: "/v1" });
  await app.register(jobRoutes, { prefix: "/v1" });
  await app.register(evalRoutes, { prefix: "/v1" });
  await app.register(datasetRoutes, { prefix: "/v1", ...(deps.config.ARTIFACT_DIR ? { artifactDir: deps.config.ARTIFACT_DIR } : {}) });
  await app.register(webhookRoutes, { prefix: "/v1", allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE ?? false });
  await app.register(adminRoutes, { prefix: "/admin/queues" });
  await app.register(dashboardPlugin, { dir: deps.config.DASHBOARD_DIR });
  return app as unknown as FastifyInstance;
}
