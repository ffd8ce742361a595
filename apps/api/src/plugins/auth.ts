/**
 * Bearer API keys scoped to a project. `app.authenticate` is an onRequest hook for the
 * encapsulated route groups that need it; the key may also come as the `ty_key` cookie so a
 * browser can open the operator pages (bull-board) and the dashboard.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { authenticateKey, type Principal } from "@trainyard/db";
import { TyError } from "@trainyard/contracts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    authenticate: (req: FastifyRequest) => Promise<void>;
  }
}

function keyFrom(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m?.[1] ?? null;
  }
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === "ty_key") return decodeURIComponent(v.join("="));
    }
  }
  return null;
}

export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest("principal", null);
  app.decorate("authenticate", async (req: FastifyRequest) => {
    const key = keyFrom(req);
    if (!key) throw new TyError("TY_ERR_UNAUTHORIZED", "missing API key: send `Authorization: Bearer <key>`");
    const principal = await authenticateKey(app.db, key);
    if (!principal) throw new TyError("TY_ERR_UNAUTHORIZED", "unknown or revoked API key");
    req.principal = principal;
  });
});

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new TyError("TY_ERR_UNAUTHORIZED", "not authenticated");
  return req.principal;
}
