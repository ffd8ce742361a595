/**
 * Request hardening in one place, before any route sees the request:
 * - strings (body, query, params, object keys) with a NUL or a lone UTF-16 surrogate are refused
 *   400 TY_ERR_VALIDATION naming the field: Postgres cannot store them and JSON peers choke on them;
 * - state-changing requests from another site (an `Origin` that is not this server's nor in
 *   CORS_ORIGINS, or `Sec-Fetch-Site: cross-site`) are refused 403 TY_ERR_FORBIDDEN;
 * - CORS is closed unless CORS_ORIGINS lists the origin (then preflights are answered).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { TyError, type ApiIssue } from "@trainyard/contracts";

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const BAD_CHARS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The path of the first string (or key) with a NUL or lone surrogate, or null. */
export function badStringPath(v: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (typeof v === "string") return BAD_CHARS.test(v) ? path : null;
  if (depth > 64 || v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = badStringPath(v[i], [...path, i], depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (BAD_CHARS.test(k)) return [...path, k];
    const p = badStringPath(x, [...path, k], depth + 1);
    if (p) return p;
  }
  return null;
}

function refuseStrings(req: FastifyRequest): void {
  for (const [where, value] of [
    ["params", req.params],
    ["query", req.query],
    ["body", req.body],
  ] as const) {
    const p = badStringPath(value);
    if (p) {
      const path = where === "body" ? p : [where, ...p];
      const message = "strings may not contain NUL characters or unpaired UTF-16 surrogates";
      const issue: ApiIssue = { code: "invalid_string", path, message };
      throw new TyError("TY_ERR_VALIDATION", `${path.join(".") || where}: ${message}`, [issue]);
    }
  }
}

/**
 * Same origin, judged by host[:port] only: behind a TLS-terminating proxy the browser's origin is
 * https while the API sees http, and the scheme adds nothing a cross-site page could forge.
 */
function sameHost(origin: string, req: FastifyRequest): boolean {
  try {
    const o = new URL(origin);
    const h = new URL(`http://${req.headers.host ?? ""}`);
    // Ports are compared only when both name one (default ports are elided differently per scheme).
    return o.hostname === h.hostname && (!o.port || !h.port || o.port === h.port);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage are never this server
  }
}

export const guardPlugin = fp(async (app: FastifyInstance, opts: { corsOrigins?: readonly string[] }) => {
  const cors = new Set(opts.corsOrigins ?? []);
  app.addHook("onRequest", async (req, reply) => {
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const allowedCors = origin !== undefined && cors.has(origin);
    if (allowedCors) {
      reply.header("access-control-allow-origin", origin).header("vary", "Origin");
      if (req.method === "OPTIONS") {
        return reply
          .status(204)
          .header("access-control-allow-methods", "GET, POST, PATCH, DELETE")
          .header("access-control-allow-headers", "authorization, content-type, idempotency-key, last-event-id, x-request-id")
          .header("access-control-max-age", "600")
          .send();
      }
    }
    if (SAFE_METHODS.has(req.method)) return;
    const crossSite = req.headers["sec-fetch-site"] === "cross-site";
    if ((origin !== undefined && !sameHost(origin, req) && !allowedCors) || (crossSite && !allowedCors)) {
      throw new TyError("TY_ERR_FORBIDDEN", `cross-site ${req.method} refused (Origin ${origin ?? "unknown"}); operators: CORS_ORIGINS`, [
        { code: "custom", path: ["headers", "origin"], message: "not this server's origin" },
      ]);
    }
  });
  app.addHook("preValidation", async (req) => refuseStrings(req));
});
