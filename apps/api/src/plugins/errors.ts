/**
 * One error body for every 4xx/5xx: { statusCode, code, error, message, issues? }.
 * Fastify's own errors (bad JSON, media type, body size, validation) are mapped to TY_ERR_* codes.
 * Unmatched routes are answered by the dashboard plugin (JSON 404, or the app for client routes).
 */
import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ERROR_CODES, TyError, type ApiErrorBody, type ApiIssue, type ErrorCode } from "@trainyard/contracts";
import { STATUS_CODES } from "node:http";

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "TY_ERR_INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "TY_ERR_INVALID_JSON",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "TY_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_BODY_TOO_LARGE: "TY_ERR_PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "TY_ERR_VALIDATION",
};

export function errorBody(code: ErrorCode, message: string, issues?: ApiIssue[]): ApiErrorBody {
  const statusCode = ERROR_CODES[code].status;
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? "Error", message, ...(issues ? { issues } : {}) };
}

function pathOf(instancePath: string, context: string | undefined): (string | number)[] {
  const parts = instancePath
    .split("/")
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return context && context !== "body" ? [context, ...parts] : parts;
}

interface ValidationItem {
  keyword: string;
  instancePath: string;
  message?: string;
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }, req, reply) => {
    if (err instanceof TyError) {
      return reply.status(err.statusCode).send(errorBody(err.code, err.message, err.issues));
    }
    if (err.validation) {
      const ctx = err.validationContext === "querystring" ? "query" : err.validationContext;
      const issues = err.validation.map((v) => ({ code: v.keyword, path: pathOf(v.instancePath, ctx), message: v.message ?? "invalid" }));
      const first = issues[0];
      const msg = first ? `${first.path.join(".") || ctx || "(body)"}: ${first.message}` : "invalid request";
      return reply.status(400).send(errorBody("TY_ERR_VALIDATION", msg, issues));
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return reply.status(ERROR_CODES[mapped].status).send(errorBody(mapped, err.message));
    if (err.statusCode === 429) return reply.status(429).send(errorBody("TY_ERR_RATE_LIMITED", err.message));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(400).send(errorBody("TY_ERR_VALIDATION", err.message));
    }
    req.log.error({ err }, "unhandled error");
    return reply.status(500).send(errorBody("TY_ERR_INTERNAL", "internal error; see the server log for this request id"));
  });
});
