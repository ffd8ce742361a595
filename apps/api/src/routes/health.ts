/**
 * /healthz (the process answers) and /readyz (Postgres and Redis answer within 2 s). Both are
 * unauthenticated for load balancers, so /readyz names the dependency that is down and nothing
 * else: no driver message, host or port (those go to the log).
 */
import type { FastifyInstance } from "fastify";
import { HealthResponse, NotReadyResponse, ReadyResponse } from "@trainyard/contracts";
import { errorBody } from "../plugins/errors.js";
import { withDeadline } from "../dependencies.js";

export async function healthRoutes(app: FastifyInstance) {
  /** Liveness: the process answers. */
  app.get("/healthz", { schema: { hide: true, response: { 200: HealthResponse } } }, async () => ({ ok: true }));

  /** Readiness: Postgres and Redis both answer. */
  app.get("/readyz", { schema: { hide: true, response: { 200: ReadyResponse, 503: NotReadyResponse } } }, async (req, reply) => {
    const probe = async (dep: "postgres" | "redis", p: () => Promise<unknown>) => {
      try {
        await withDeadline(p(), 2000, dep);
        return { ok: true };
      } catch (err) {
        req.log.warn({ err, dependency: dep }, "readiness check failed");
        return { ok: false, error: "unavailable" };
      }
    };
    const [postgres, redis] = await Promise.all([
      probe("postgres", () => app.db.$queryRaw`SELECT 1`),
      probe("redis", () => app.redis.ping()),
    ]);
    const checks = { postgres, redis };
    const down = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([k]) => k);
    if (down.length)
      return reply.status(503).send({ ...errorBody("TY_ERR_DEPENDENCY_UNAVAILABLE", `unavailable: ${down.join(", ")}`), checks });
    return { ok: true, checks };
  });
}
