import { z } from "zod";

export const IdParams = z.object({ id: z.string().max(64) });
export const AfterQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
