import type { FastifyInstance } from "fastify";
import { errorBody } from "../plugins/errors.js";

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

export async function healthRoutes(app: FastifyInstance) {
  /** Liveness: the process answers. */
  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true }));

  /** Readiness: Postgres and Redis both answer. */
  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all([
      withTimeout(app.db.$queryRaw`SELECT 1`, 2000).then(
        () => (checks.postgres = { ok: true }),
        (e: unknown) => (checks.postgres = { ok: false, error: String(e).slice(0, 200) }),
      ),
      withTimeout(app.redis.ping(), 2000).then(
        () => (checks.redis = { ok: true }),
        (e: unknown) => (checks.redis = { ok: false, error: String(e).slice(0, 200) }),
      ),
    ]);
    const ok = Object.values(checks).every((c) => c.ok);
    if (!ok) return reply.status(503).send({ ...errorBody("TY_ERR_DEPENDENCY_UNAVAILABLE", "a dependency is unavailable"), checks });
    return { ok, checks };
  });
}
