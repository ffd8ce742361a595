/**
 * Errors of a model endpoint, for every model client (the eval harness's and the teacher's; the
 * code keeps its eval name because results store it). Callers branch on `code` and `kind`, never
 * on the message or on `instanceof` across process boundaries (docs/conventions.md#coded-errors,
 * docs/conventions.md#errors-across-processes).
 *
 * `TY_ERR_EVAL_ENDPOINT` is not in packages/contracts' catalogue yet (that package is not ours to
 * edit here); `classifyJobError` treats an unknown code as a retryable infra error, which is what
 * an unreachable model endpoint is.
 */

export const EVAL_ENDPOINT_ERROR = "TY_ERR_EVAL_ENDPOINT";

/**
 * What went wrong talking to the model endpoint:
 *  - `status`: an HTTP error status (`status` is set);
 *  - `connection`: the request never got an answer (refused, reset, DNS);
 *  - `timeout`: no answer within the per-request timeout;
 *  - `bad_response`: a 2xx whose body is not a completion (HTML, truncated JSON, no choices);
 *  - `aborted`: the caller's signal fired (never retried).
 */
export type EndpointErrorKind = "status" | "connection" | "timeout" | "bad_response" | "aborted";

export class EndpointError extends Error {
  readonly code = EVAL_ENDPOINT_ERROR;
  readonly kind: EndpointErrorKind;
  readonly status: number | null;
  readonly headers: Record<string, string>;
  readonly requestId: string | null;
  /** Attempts made, retries included (filled in by the retry loop). */
  attempts: number;

  constructor(
    kind: EndpointErrorKind,
    message: string,
    opts: { status?: number | null; headers?: Record<string, string>; requestId?: string | null; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "EndpointError";
    this.kind = kind;
    this.status = opts.status ?? null;
    this.headers = opts.headers ?? {};
    this.requestId = opts.requestId ?? this.headers["x-request-id"] ?? null;
    this.attempts = 1;
  }

  /** A plain object for result records and logs (errors do not survive JSON). */
  toJSON(): { code: string; kind: EndpointErrorKind; status: number | null; message: string; attempts: number; requestId: string | null } {
    return {
      code: this.code,
      kind: this.kind,
      status: this.status,
      message: this.message,
      attempts: this.attempts,
      requestId: this.requestId,
    };
  }
}

export function isEndpointError(e: unknown): e is EndpointError {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === EVAL_ENDPOINT_ERROR;
}

/** Headers of any shape (a fetch `Headers`, a plain record) as a lower-cased plain record. */
export function headerRecord(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h || typeof h !== "object") return out;
  const entries = typeof (h as Headers).forEach === "function" && typeof (h as Headers).get === "function";
  if (entries) (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  else for (const [k, v] of Object.entries(h)) if (typeof v === "string") out[k.toLowerCase()] = v;
  return out;
}
