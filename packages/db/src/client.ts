import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, Prisma } from "./generated/prisma/client.js";

export { PrismaClient, Prisma };
export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

/** One Prisma client per process, on the stock pg adapter (the migrate workarounds are CLI-only). */
export function createPrisma(
  databaseUrl: string,
  opts: { poolMax?: number; connectTimeoutMs?: number; statementTimeoutMs?: number } = {},
): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: opts.poolMax ?? 10,
    // A database that accepts connections but never answers must fail a request, not hang it:
    // connect timeout, server-side statement timeout, and a client-side read timeout a bit longer.
    ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs, query_timeout: opts.statementTimeoutMs + 2000 } : {}),
  });
  // Interactive transactions lock the experiment row and touch a handful of rows; under a loaded
  // machine Prisma's 5 s default was seen to expire (P2028), so allow more before giving up.
  return new PrismaClient({ adapter, transactionOptions: { timeout: 30_000, maxWait: 15_000 } });
}

/** Prisma error code of a known request error (P2002 unique violation, ...), else undefined. */
export function prismaCode(e: unknown): string | undefined {
  return e instanceof Prisma.PrismaClientKnownRequestError ? e.code : undefined;
}
