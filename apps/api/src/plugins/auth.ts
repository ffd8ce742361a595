/**
 * Bearer API keys scoped to a project. `app.authenticate` is an onRequest hook for the
 * encapsulated route groups that need it; `app.authenticateOperator` also demands an operator key.
 *
 * The `ty_key` cookie is honoured only under /admin (bull-board, which a browser opens directly);
 * the server sets it (POST /admin/session) HttpOnly + SameSite=Strict, so no other site can send
 * it, and every other route takes the bearer header only: no cookie means no CSRF surface there.
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
    authenticateOperator: (req: FastifyRequest) => Promise<void>;
  }
}

export const KEY_COOKIE = "ty_key";
/** Keys are `ty_` + base64url: anything else is refused before a database lookup. */
const KEY_SHAPE = /^ty_[A-Za-z0-9_-]{8,190}$/;

/** The `ty_key` cookie's value, or null when absent or malformed (never throws). */
export function cookieKey(header: string | undefined): string | null {
  if (!header || header.length > 8192) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== KEY_COOKIE) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    try {
      v = decodeURIComponent(v);
    } catch {
      return null;
    }
    return KEY_SHAPE.test(v) ? v : null;
  }
  return null;
}

function keyFrom(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m?.[1] ?? null;
  }
  if (req.url === "/admin" || req.url.startsWith("/admin/")) return cookieKey(req.headers.cookie);
  return null;
}

export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest("principal", null);
  const authenticate = async (req: FastifyRequest) => {
    if (req.principal) return;
    const key = keyFrom(req);
    if (!key) throw new TyError("TY_ERR_UNAUTHORIZED", "missing API key: send `Authorization: Bearer <key>`");
    if (!KEY_SHAPE.test(key)) throw new TyError("TY_ERR_UNAUTHORIZED", "malformed API key");
    const principal = await authenticateKey(app.db, key);
    if (!principal) throw new TyError("TY_ERR_UNAUTHORIZED", "unknown or revoked API key");
    req.principal = principal;
  };
  app.decorate("authenticate", authenticate);
  app.decorate("authenticateOperator", async (req: FastifyRequest) => {
    await authenticate(req);
    if (!req.principal?.operator)
      throw new TyError(
        "TY_ERR_FORBIDDEN",
        "this needs an operator key (`trainyard keys create --operator`); tenant keys see their own project only",
      );
  });
});

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new TyError("TY_ERR_UNAUTHORIZED", "not authenticated");
  return req.principal;
}
