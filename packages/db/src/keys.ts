import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./client.js";

const KEY_PREFIX = "ty_";
/** lastUsedAt is written at most this often per key, so authentication stays one read. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Creates the project if needed and a new key for it. The key is returned once and never stored. */
export async function createApiKey(
  db: Db,
  projectName: string,
  name?: string,
  opts: { operator?: boolean } = {},
): Promise<{ key: string; projectId: string; keyId: string }> {
  const key = KEY_PREFIX + randomBytes(24).toString("base64url");
  const project = await db.project.upsert({ where: { name: projectName }, create: { name: projectName }, update: {} });
  const row = await db.apiKey.create({
    data: { projectId: project.id, prefix: key.slice(0, 10), hash: hashApiKey(key), name: name ?? null, operator: opts.operator ?? false },
  });
  return { key, projectId: project.id, keyId: row.id };
}

export interface Principal {
  projectId: string;
  projectName: string;
  keyId: string;
  /** An operator key: may use bull-board and other cross-project views. */
  operator: boolean;
}

/** The key's project, or null for an unknown/revoked key. Records lastUsedAt (coarsely). */
export async function authenticateKey(db: Db, key: string): Promise<Principal | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const row = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) }, include: { project: true } });
  if (!row || row.revokedAt) return null;
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort: a failed bookkeeping write must not refuse a valid key.
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
  }
  return { projectId: row.projectId, projectName: row.project.name, keyId: row.id, operator: row.operator };
}

export interface ApiKeyView {
  id: string;
  project: string;
  prefix: string;
  name: string | null;
  operator: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type KeyRow = {
  id: string;
  prefix: string;
  name: string | null;
  operator: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  project: { name: string };
};

function keyView(r: KeyRow): ApiKeyView {
  return {
    id: r.id,
    project: r.project.name,
    prefix: r.prefix,
    name: r.name,
    operator: r.operator,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

/** Keys of one project (by id), or of every project when projectId is null; newest first. */
export async function listApiKeys(db: Db, where: { projectId: string | null; projectName?: string }): Promise<ApiKeyView[]> {
  const rows = await db.apiKey.findMany({
    where: {
      ...(where.projectId ? { projectId: where.projectId } : {}),
      ...(where.projectName ? { project: { name: where.projectName } } : {}),
    },
    include: { project: { select: { name: true } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 1000,
  });
  return rows.map(keyView);
}

/**
 * Revoke a key of the project (any project when projectId is null). Null when there is no such key;
 * revoking twice keeps the first revocation time.
 */
export async function revokeApiKey(db: Db, keyId: string, projectId: string | null): Promise<ApiKeyView | null> {
  const row = await db.apiKey.findFirst({ where: { id: keyId, ...(projectId ? { projectId } : {}) } });
  if (!row) return null;
  const updated = await db.apiKey.update({
    where: { id: row.id },
    data: { revokedAt: row.revokedAt ?? new Date() },
    include: { project: { select: { name: true } } },
  });
  return keyView(updated);
}
