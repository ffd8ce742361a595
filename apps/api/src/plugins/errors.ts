/**
 * One error body for every 4xx/5xx: { statusCode, code, error, message, issues? }.
 * Fastify's own errors (bad JSON, media type, body size, validation, bad URL, long params), Node's
 * client errors (malformed request line or headers) and database/Redis failures are all mapped
 * here to TY_ERR_* codes, so a client can never cause a 5xx by what it sends: bad input that
 * reaches Postgres (an out-of-range value, a NUL byte) is a 400, an unreachable dependency a 503.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import type { Socket } from "node:net";
import fp from "fastify-plugin";
import { ERROR_CODES, TyError, type ApiErrorBody, type ApiIssue, type ErrorCode } from "@trainyard/contracts";
import { STATUS_CODES } from "node:http";
import { dependencyFailure } from "../dependencies.js";

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "TY_ERR_INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "TY_ERR_INVALID_JSON",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "TY_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_TYPE: "TY_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_BODY_TOO_LARGE: "TY_ERR_PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "TY_ERR_VALIDATION",
  FST_ERR_CTP_INVALID_CHARSET: "TY_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_MAX_PARAM_LENGTH: "TY_ERR_URI_TOO_LONG",
  FST_ERR_BAD_URL: "TY_ERR_BAD_REQUEST",
  FST_ERR_INVALID_URL: "TY_ERR_BAD_REQUEST",
  FST_ERR_ASYNC_CONSTRAINT: "TY_ERR_BAD_REQUEST",
};

/** A 4xx status without a better code of its own. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 405:
      return "TY_ERR_METHOD_NOT_ALLOWED";
    case 408:
      return "TY_ERR_REQUEST_TIMEOUT";
    case 413:
      return "TY_ERR_PAYLOAD_TOO_LARGE";
    case 414:
      return "TY_ERR_URI_TOO_LONG";
    case 415:
      return "TY_ERR_UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "TY_ERR_RATE_LIMITED";
    case 431:
      return "TY_ERR_HEADERS_TOO_LARGE";
    default:
      return "TY_ERR_BAD_REQUEST";
  }
}

/** Ids are UUIDs: a path segment much longer than one is refused with 414, not looked up. */
export const MAX_PARAM_LENGTH = 200;

/**
 * find-my-way answers a parameter over maxParamLength with "no route" (Fastify 5 has no error for
 * it), so the not-found handler asks this first: a 414 says what is wrong with the URL.
 */
export function overlongSegment(path: string): boolean {
  return path.split("/").some((seg) => seg.length > MAX_PARAM_LENGTH);
}

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

/** Postgres SQLSTATE classes that only bad input can cause (data exceptions: 22xxx). */
function isBadInputFromDb(e: unknown): boolean {
  const s = String((e as { message?: unknown })?.message ?? e);
  const code = (e as { code?: unknown })?.code;
  if (code === "P2023" || code === "P2020" || code === "P2007" || code === "P2000" || code === "P2033") return true;
  return /\b22(?:P02|P05|008|003|021|007|001)\b|invalid byte sequence|out of range for type|invalid input syntax|date\/time field value out of range|character with value|untranslatable character/i.test(
    s,
  );
}

/** A raw HTTP answer for a socket the HTTP parser gave up on (no Fastify request exists). */
export function clientErrorResponse(err: Error & { code?: string }): string {
  const code: ErrorCode =
    err.code === "HPE_HEADER_OVERFLOW" || err.code === "ERR_HTTP_HEADERS_TOO_LARGE"
      ? "TY_ERR_HEADERS_TOO_LARGE"
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? "TY_ERR_REQUEST_TIMEOUT"
        : err.code === "HPE_URI_TOO_LONG"
          ? "TY_ERR_URI_TOO_LONG"
          : "TY_ERR_BAD_REQUEST";
  const body = JSON.stringify(errorBody(code, `malformed HTTP request (${err.code ?? "client error"})`));
  const status = ERROR_CODES[code].status;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  // A reset or already-closed socket cannot be answered.
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy(err);
    return;
  }
  socket.end(clientErrorResponse(err));
}

export interface ErrorAnswer {
  status: number;
  body: ApiErrorBody;
  headers?: Record<string, string>;
  /** Log level for this error: client errors are info, dependency failures warn, the rest error. */
  level: "info" | "warn" | "error";
}

/** The answer to any error thrown while serving a request (also used for bull-board's routes). */
export function errorAnswer(err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }): ErrorAnswer {
  const answer = (code: ErrorCode, message: string, level: ErrorAnswer["level"] = "info", issues?: ApiIssue[]): ErrorAnswer => ({
    status: ERROR_CODES[code].status,
    body: errorBody(code, message, issues),
    level,
  });
  if (err instanceof TyError) return answer(err.code, err.message, err.statusCode >= 500 ? "warn" : "info", err.issues);
  if (err.validation) {
    const ctx = err.validationContext === "querystring" ? "query" : err.validationContext;
    const issues = err.validation.map((v) => ({ code: v.keyword, path: pathOf(v.instancePath, ctx), message: v.message ?? "invalid" }));
    const first = issues[0];
    const msg = first ? `${first.path.join(".") || ctx || "(body)"}: ${first.message}` : "invalid request";
    return answer("TY_ERR_VALIDATION", msg, "info", issues);
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return answer(mapped, err.message);
  const dep = dependencyFailure(err);
  if (dep)
    return { ...answer("TY_ERR_DEPENDENCY_UNAVAILABLE", `${dep} is unavailable; retry later`, "warn"), headers: { "retry-after": "5" } };
  if (isBadInputFromDb(err)) return answer("TY_ERR_VALIDATION", "a value in the request is out of range or not representable");
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return answer(codeForStatus(err.statusCode), err.message);
  return answer("TY_ERR_INTERNAL", "internal error; see the server log for this request id", "error");
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }, req, reply) => {
    const a = errorAnswer(err);
    if (a.level === "error") req.log.error({ err }, "unhandled error");
    else if (a.level === "warn") req.log.warn({ err }, a.body.message);
    if (a.headers) reply.headers(a.headers);
    return reply.status(a.status).send(a.body);
  });
});
