/**
 * The `trainyard env batch` protocol: one JSON request per line in, one JSON response per line
 * out, in order. A bad line never stops the stream: it gets
 * `{"ok":false,"error":{"code":"TY_ERR_ENV_BAD_REQUEST","message":...}}`.
 * A request's `id` field, when present, is echoed on its response.
 *
 * This is how the Python trainer computes GRPO rewards with the same code as evaluation.
 */
import { envIds, listEnvs } from "./registry.js";

export const ENV_BAD_REQUEST = "TY_ERR_ENV_BAD_REQUEST";

function fail(code: string, message: string): Record<string, unknown> {
  return { ok: false, error: { code, message } };
}

export function handleBatchRequest(req: unknown): Record<string, unknown> {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return fail(ENV_BAD_REQUEST, "a request must be a JSON object");
  const r = req as Record<string, unknown>;
  if (typeof r.op !== "string") return fail(ENV_BAD_REQUEST, "op: missing or not a string");
  const op = r.op;
  // Ids only (no aliases): the protocol's env names are exact.
  const env = r.env === undefined ? listEnvs().find((e) => e.envlessBatchOps.includes(op)) : listEnvs().find((e) => e.id === r.env);
  if (typeof r.env !== "string" && !env) return fail(ENV_BAD_REQUEST, `env: missing; one of ${envIds().join(", ")}`);
  if (!env) return fail(ENV_BAD_REQUEST, `env: unknown env '${String(r.env).slice(0, 40)}'; one of ${envIds().join(", ")}`);
  let out: Record<string, unknown>;
  try {
    out = env.batch(r);
  } catch (e) {
    const code = typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : "TY_ERR_ENV_INTERNAL";
    out = fail(code, e instanceof Error ? e.message : String(e));
  }
  return r.id !== undefined ? { id: r.id, ...out } : out;
}

/** One input line → one output line (without the newline). */
export function handleBatchLine(line: string): string {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return JSON.stringify(fail(ENV_BAD_REQUEST, "the line is not valid JSON"));
  }
  return JSON.stringify(handleBatchRequest(req));
}
