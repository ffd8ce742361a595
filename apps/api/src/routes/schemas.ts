import { z } from "zod";
import { ApiErrorBody } from "@trainyard/contracts";

/** Postgres int4: sequence numbers never exceed it, and a larger bound would overflow the query. */
export const PG_INT_MAX = 2_147_483_647;

export const IdParams = z.object({ id: z.string().max(64) });
/** A route whose id must be a UUID (400 naming params.id, never a database error). */
export const UuidParams = z.object({ id: z.uuid() });
export const AfterQuery = z.object({
  after: z.coerce.number().int().min(0).max(PG_INT_MAX).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/**
 * Error answers any authenticated route can give: bad input (400, also the NUL/surrogate guard),
 * no or a bad key (401), the rate limit (429), a bug (500), Postgres or Redis down (503).
 */
const ANY = [400, 401, 429, 500, 503] as const;
/** Besides ANY: a route that looks a resource up by id. */
export const BY_ID = [404] as const;
/** Besides ANY: a state-changing route (cross-site refusal 403, body too large 413, not JSON 415). */
export const WRITE = [403, 413, 415] as const;

/**
 * A route's response schemas: its success bodies (from the contracts' responses.ts) and the one
 * error body for every error status it can answer, so the OpenAPI document lists them all.
 */
export function replies<T extends Record<number, unknown>>(ok: T, ...extra: (readonly ErrorStatus[])[]): Replies<T> {
  const errors = [...new Set([...ANY, ...extra.flat()])].sort((a, b) => a - b);
  return { ...ok, ...Object.fromEntries(errors.map((s) => [s, ApiErrorBody])) } as Replies<T>;
}
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;
/** For the handlers' types: which error statuses a route lists only matters to the document. */
type Replies<T> = T & Record<Exclude<ErrorStatus, keyof T>, typeof ApiErrorBody>;
