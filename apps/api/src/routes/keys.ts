/**
 * API keys: list (with lastUsedAt) and revoke. A tenant key sees and revokes its own project's
 * keys; an operator key every project's (`?project=` narrows the list). Keys are created by the
 * operator's CLI (`trainyard keys create`), never over HTTP, so a leaked tenant key cannot mint more.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiKeyList, ApiKeyResponse, TyError } from "@trainyard/contracts";
import { listApiKeys, revokeApiKey } from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { BY_ID, UuidParams, WRITE, replies } from "./schemas.js";

export async function keyRoutes(appBase: FastifyInstance) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);

  app.get(
    "/keys",
    {
      schema: {
        summary: "API keys of the key's project (operators: of every project), newest first",
        querystring: z.object({ project: z.string().min(1).max(100).optional() }),
        response: replies({ 200: ApiKeyList }, [403]),
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (req.query.project !== undefined && !p.operator && req.query.project !== p.projectName)
        throw new TyError("TY_ERR_FORBIDDEN", "only an operator key may list another project's keys", [
          { code: "custom", path: ["query", "project"], message: "another project" },
        ]);
      return {
        items: await listApiKeys(app.db, {
          projectId: p.operator ? null : p.projectId,
          ...(req.query.project ? { projectName: req.query.project } : {}),
        }),
      };
    },
  );

  const revoke = async (keyId: string, operator: boolean, projectId: string) => {
    const k = await revokeApiKey(app.db, keyId, operator ? null : projectId);
    if (!k) throw new TyError("TY_ERR_NOT_FOUND", `key ${keyId} not found`);
    return k;
  };
  app.post(
    "/keys/:id/revoke",
    {
      schema: {
        summary: "Revoke an API key (at once; it cannot be restored)",
        params: UuidParams,
        response: replies({ 200: ApiKeyResponse }, BY_ID, WRITE),
      },
    },
    async (req) => {
      const p = principalOf(req);
      return revoke(req.params.id, p.operator, p.projectId);
    },
  );
  app.delete(
    "/keys/:id",
    {
      schema: {
        summary: "Revoke an API key (same as POST /keys/:id/revoke)",
        params: UuidParams,
        response: replies({ 200: ApiKeyResponse }, BY_ID, WRITE),
      },
    },
    async (req) => {
      const p = principalOf(req);
      return revoke(req.params.id, p.operator, p.projectId);
    },
  );
}
