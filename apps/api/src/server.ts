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
  const db = createPrisma(config.DATABASE_URL, {
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  // Fail fast while Redis is down (503), and reconnect on its own when it is back.
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    lazyConnect: false,
  });
  redis.on("error", (err) => logger.debug({ err }, "redis connection error"));
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
