import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./client.js";

const KEY_PREFIX = "ty_";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Creates the project if needed and a new key for it. The key is returned once and never stored. */
export async function createApiKey(db: Db, projectName: string, name?: string): Promise<{ key: string; projectId: string; keyId: string }> {
  const key = KEY_PREFIX + randomBytes(24).toString("base64url");
  const project = await db.project.upsert({ where: { name: projectName }, create: { name: projectName }, update: {} });
  const row = await db.apiKey.create({
    data: { projectId: project.id, prefix: key.slice(0, 10), hash: hashApiKey(key), name: name ?? null },
  });
  return { key, projectId: project.id, keyId: row.id };
}

export interface Principal {
  projectId: string;
  projectName: string;
  keyId: string;
}

/** The key's project, or null for an unknown/revoked key. */
export async function authenticateKey(db: Db, key: string): Promise<Principal | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const row = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) }, include: { project: true } });
  if (!row || row.revokedAt) return null;
  return { projectId: row.projectId, projectName: row.project.name, keyId: row.id };
}
