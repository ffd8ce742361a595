/**
 * The dashboard: the single-page app's build served at `/`, and the one not-found handler.
 *
 * - Hashed files under /assets/ are immutable for a year; everything else (index.html, icons)
 *   is `no-cache`, so a new build is picked up on the next load while its assets stay cached.
 * - GET/HEAD of a path outside the API's prefixes and without a file extension is a client
 *   route: it answers index.html and the app's router draws the page.
 * - Everything else that matches no route (missing API routes, missing assets) is the API's
 *   JSON 404, never HTML.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import fastifyStatic from "@fastify/static";
import { z } from "zod";
import { ApiErrorBody, NoBody } from "@trainyard/contracts";
import { errorBody, MAX_PARAM_LENGTH, overlongSegment } from "./errors.js";

export interface DashboardOptions {
  /** Directory of the build (index.html + assets/); default: apps/dashboard/dist of this checkout. */
  dir?: string | undefined;
}

/** Prefixes that belong to the API and its operator pages: never answered with the app. */
const SERVER_PREFIXES = ["/v1", "/docs", "/admin", "/healthz", "/readyz", "/assets"];

/** apps/api/{src,dist}/plugins → apps/dashboard/dist. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL("../../../dashboard/dist", import.meta.url));
}

export function isClientRoute(path: string): boolean {
  if (SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
  const last = path.slice(path.lastIndexOf("/") + 1);
  return !last.includes("."); // `/favicon.ico`, `/robots.txt`: files, so a missing one is a 404
}

const IMMUTABLE = "public, max-age=31536000, immutable";
// Framing and plugins are never needed; scripts stay unrestricted so tools may inject their own.
const PAGE_HEADERS = {
  "cache-control": "no-cache",
  "content-security-policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export const dashboardPlugin = fp(async (app: FastifyInstance, opts: DashboardOptions) => {
  const dir = resolve(opts.dir ?? defaultDashboardDir());
  const indexPath = join(dir, "index.html");
  const built = existsSync(indexPath);

  // index.html is read on each request (it is small) so a rebuild needs no restart.
  const sendIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    const html = await readFile(indexPath).catch(() => null);
    if (!html) return reply.status(404).send(errorBody("TY_ERR_DASHBOARD_NOT_BUILT", `no dashboard build at ${dir}; run npm run build`));
    const etag = `"${createHash("sha256").update(html).digest("base64url").slice(0, 27)}"`;
    reply.headers({ ...PAGE_HEADERS, etag });
    if (req.headers["if-none-match"] === etag) return reply.status(304).send();
    return reply.type("text/html; charset=utf-8").send(html);
  };

  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      index: false,
      decorateReply: false,
      wildcard: true,
      cacheControl: false,
      setHeaders(reply, path) {
        if (path.startsWith(join(dir, "assets") + sep)) reply.header("cache-control", IMMUTABLE);
        else reply.headers(PAGE_HEADERS);
      },
      schemaHide: true,
    });
  }

  // 404: no dashboard build (TY_ERR_DASHBOARD_NOT_BUILT); 304: the page's ETag still matches.
  const page = { content: { "text/html": { schema: z.string() } } };
  app.get("/", { schema: { hide: true, response: { 200: page, 304: NoBody, 404: ApiErrorBody } } }, sendIndex);

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split("?")[0] ?? "/";
    if (built && (req.method === "GET" || req.method === "HEAD") && isClientRoute(path)) return sendIndex(req, reply);
    if (overlongSegment(path))
      return reply.status(414).send(errorBody("TY_ERR_URI_TOO_LONG", `a path segment is longer than ${MAX_PARAM_LENGTH} characters`));
    return reply.status(404).send(errorBody("TY_ERR_ROUTE_NOT_FOUND", `no route ${req.method} ${path}`));
  });
});
