/**
 * Which dependency (Postgres or Redis) an error says is unreachable or too slow, if any: such an
 * error is answered 503 TY_ERR_DEPENDENCY_UNAVAILABLE, never 500 and never with the driver's
 * message (it names hosts and ports).
 */
export type Dependency = "postgres" | "redis";

const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P1011"]);
const ADAPTER_UNAVAILABLE = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionAlreadyClosed",
  "AuthenticationFailed",
]);

function fieldsOf(e: unknown): { name: string; code: string; message: string; kind: string } {
  const o = (e ?? {}) as Record<string, unknown>;
  const meta = (o.meta ?? {}) as { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
  const cause = meta.driverAdapterError?.cause;
  return {
    name: String((o.constructor as { name?: string } | undefined)?.name ?? o.name ?? ""),
    code: typeof o.code === "string" ? o.code : "",
    message: typeof o.message === "string" ? o.message : "",
    kind: typeof cause?.kind === "string" ? cause.kind : typeof cause?.originalCode === "string" ? cause.originalCode : "",
  };
}

export function dependencyFailure(e: unknown): Dependency | null {
  const tagged = (e as { dependency?: unknown } | null)?.dependency;
  if (tagged === "postgres" || tagged === "redis") return tagged;
  const { name, code, message, kind } = fieldsOf(e);
  if (name === "MaxRetriesPerRequestError" || /^(Command timed out|Connection is closed|Stream isn't writeable)/.test(message))
    return "redis";
  if (name === "PrismaClientInitializationError" || name === "PrismaClientRustPanicError") return "postgres";
  if (PRISMA_UNAVAILABLE.has(code) || ADAPTER_UNAVAILABLE.has(kind)) return "postgres";
  // statement_timeout / query_timeout (57014) and connection failures surfaced as raw query errors.
  if (
    /Code: `(57014|57P01|57P02|57P03|53300|08\d{3})`|statement timeout|canceling statement|Query read timeout|timeout exceeded when trying to connect|Connection terminated|Can't reach database server|ECONNREFUSED|ETIMEDOUT/i.test(
      message,
    )
  )
    return "postgres";
  return null;
}

/** Rejects after `ms` with an error that dependencyFailure() attributes to `dep`. */
export async function withDeadline<T>(p: Promise<T>, ms: number, dep: Dependency): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, rej) => {
        t = setTimeout(() => rej(Object.assign(new Error(`${dep} did not answer in ${ms} ms`), { dependency: dep })), ms);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}
