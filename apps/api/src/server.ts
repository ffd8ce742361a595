/** Start the API on HOST:PORT with its own Postgres and Redis connections. */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RuntimeConfig } from "@trainyard/contracts";
import { createPrisma } from "@trainyard/db";
import { buildApp } from "./app.js";

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApi(config: RuntimeConfig, logger: Logger): Promise<RunningApi> {
  const db = createPrisma(config.DATABASE_URL);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false });
  const app = await buildApp({ db, redis, config, logger });
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  return {
    url: address,
    async close() {
      await app.close();
      await db.$disconnect();
      redis.disconnect();
    },
  };
}
