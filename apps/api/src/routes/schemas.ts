import { z } from "zod";

/** Postgres int4: sequence numbers never exceed it, and a larger bound would overflow the query. */
export const PG_INT_MAX = 2_147_483_647;

export const IdParams = z.object({ id: z.string().max(64) });
/** A route whose id must be a UUID (400 naming params.id, never a database error). */
export const UuidParams = z.object({ id: z.uuid() });
export const AfterQuery = z.object({
  after: z.coerce.number().int().min(0).max(PG_INT_MAX).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
