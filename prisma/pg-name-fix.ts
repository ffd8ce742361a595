import pg from "pg";

// The WASM schema engine reads catalog columns of type `name` (OID 19) and `"char"` (OID 18),
// which adapter-pg 6.19 cannot deserialize (prisma/orm#27403). Report them as text (OID 25).
function patch(result: unknown): unknown {
  const fields = (result as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
  if (fields) for (const f of fields) if (f.dataTypeID === 19 || f.dataTypeID === 18) f.dataTypeID = 25;
  return result;
}

export class NameAsTextClient extends pg.Client {
  // pg-pool calls query with a callback; others use the promise form. Handle both.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      const cb = last as (err: unknown, res: unknown) => void;
      args[args.length - 1] = (err: unknown, res: unknown) => cb(err, err ? res : patch(res));
      return (super.query as (...a: unknown[]) => unknown)(...args) as never;
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    if (out && typeof (out as Promise<unknown>).then === "function") {
      return (out as Promise<unknown>).then(patch) as never;
    }
    return out as never;
  }
}
