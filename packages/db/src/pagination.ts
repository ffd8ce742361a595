/**
 * Keyset pagination on (createdAt, id), newest first: the one ordering every list endpoint uses,
 * so a page boundary is stable while rows are inserted.
 */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export function newestFirst(): [{ createdAt: "desc" }, { id: "desc" }] {
  return [{ createdAt: "desc" }, { id: "desc" }];
}

/** Where-clause fragment for the rows strictly after `after` in newest-first order. */
export function afterCursor(after: KeysetCursor | undefined) {
  return after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {};
}
