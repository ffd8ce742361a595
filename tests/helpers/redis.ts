/** Redis for tests: a random key prefix per test file, deleted afterwards. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { redisUrl } from "./env.js";

export function randomPrefix(): string {
  return `tytest-${randomBytes(5).toString("hex")}`;
}

export function redisClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: null });
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}
