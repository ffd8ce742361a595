/** bull-board for operators, behind the same API-key auth (header or `ty_key` cookie). */
import type { FastifyInstance } from "fastify";
import { Queue } from "bullmq";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import { QUEUE_NAMES, TyError } from "@trainyard/contracts";
import { errorBody } from "../plugins/errors.js";

export async function adminRoutes(app: FastifyInstance) {
  // bull-board installs its own error handler, so answer auth failures here directly.
  app.addHook("onRequest", async (req, reply) => {
    try {
      await app.authenticate(req);
    } catch (e) {
      if (e instanceof TyError) return reply.status(e.statusCode).send(errorBody(e.code, e.message));
      throw e;
    }
  });
  const prefix = app.deps.config.REDIS_PREFIX;
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: app.redis.duplicate({ maxRetriesPerRequest: null }), prefix }));
  app.addHook("onClose", async () => {
    await Promise.all(queues.map((q) => q.close()));
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath("/admin/queues");
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(serverAdapter.registerPlugin());
}
