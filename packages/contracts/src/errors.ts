/**
 * The one error body of every 4xx/5xx answer, and the catalogue of stable `TY_ERR_*` codes.
 *
 * Codes are forever: a retired code is never reused. `docs/errors.md` has a row per code and a
 * test keeps the two equal. Clients (CLI, dashboard) branch on `code`, never on `message`.
 */
import { z } from "zod";

export const ApiIssue = z.object({
  /** zod issue code, e.g. `invalid_type`, `too_big`, `custom`. */
  code: z.string(),
  /** Path of the offending field, e.g. `["arms", 0, "method"]`. */
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type ApiIssue = z.infer<typeof ApiIssue>;

export const ApiErrorBody = z.object({
  statusCode: z.number().int(),
  code: z.string().regex(/^TY_ERR_[A-Z0-9_]+$/),
  /** HTTP reason phrase, e.g. `Bad Request`. */
  error: z.string(),
  message: z.string(),
  issues: z.array(ApiIssue).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

interface CodeInfo {
  status: number;
  meaning: string;
  action: string;
}

/** Every code the service can answer with. Keep in sync with docs/errors.md (tested). */
export const ERROR_CODES = {
  TY_ERR_VALIDATION: {
    status: 400,
    meaning: "The request body, query or params failed validation; `issues` names each field.",
    action: "Fix the fields listed in `issues[].path` and send again.",
  },
  TY_ERR_INVALID_JSON: {
    status: 400,
    meaning: "The body is not valid JSON (or is empty while declared as JSON).",
    action: "Send a well-formed JSON document.",
  },
  TY_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: "The Content-Type is not accepted by this route.",
    action: "Send `Content-Type: application/json`.",
  },
  TY_ERR_PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: "The body is larger than the server's limit (API_BODY_LIMIT_BYTES).",
    action: "Send a smaller body; upload large data as a dataset file instead.",
  },
  TY_ERR_UNAUTHORIZED: {
    status: 401,
    meaning: "No API key, a malformed one, or a revoked/unknown key.",
    action: "Send `Authorization: Bearer <key>`; create a key with `trainyard keys create --project NAME`.",
  },
  TY_ERR_NOT_FOUND: {
    status: 404,
    meaning: "No such resource in the key's project (other projects' resources are invisible).",
    action: "Check the id and the API key's project.",
  },
  TY_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    meaning: "No route matches the method and path.",
    action: "Check the URL against /docs.",
  },
  TY_ERR_DASHBOARD_NOT_BUILT: {
    status: 404,
    meaning: "The dashboard's static build (apps/dashboard/dist, or DASHBOARD_DIR) is missing, so `/` cannot be served.",
    action: "Run `npm run build`, or point DASHBOARD_DIR at a built dashboard.",
  },
  TY_ERR_UNKNOWN_PRESET: {
    status: 400,
    meaning: "The `preset` name is not one of the known presets.",
    action: "Use one of `paper-sokoban`, `paper-general-points`, `demo-cpu`, `clean-sokoban`, `repro-cpu`, `demo-cpu-gp`.",
  },
  TY_ERR_SPEC_CONFLICT: {
    status: 400,
    meaning:
      "The experiment spec is well-typed but impossible (e.g. a split of the other task, a GPU model on zero GPUs); `issues` names the field.",
    action: "Change the field named in `issues[].path` as the message says.",
  },
  TY_ERR_SPEC_TOO_LARGE: {
    status: 400,
    meaning:
      "The spec asks for more than one experiment may on this deployment (jobs = arms × seeds × chain, training items, checkpoints per training job); `issues` names the field and the cap.",
    action: "Lower the field named in `issues[].path` below the cap the message gives, or split the experiment.",
  },
  TY_ERR_SPEC_MEMORY: {
    status: 400,
    meaning:
      "The preflight estimate of a training job's memory per GPU (weights, gradients, optimizer state, activations and logits under the spec's strategy, docs/distributed.md) exceeds `compute.resources.gpuMemoryGiB` (default: the operator's TRAINYARD_GPU_MEMORY_GIB); the message gives the estimate and its terms.",
    action:
      "Add GPUs (`compute.resources.gpus`, `compute.nodes`), use `compute.strategy` fsdp or LoRA, lower the micro-batch or sequence length, or state the real `gpuMemoryGiB`.",
  },
  TY_ERR_COMPUTE_NOT_ALLOWED: {
    status: 403,
    meaning:
      "The spec's `compute` names something the operator does not allow on this deployment (an image, Kubernetes namespace or node selector, or a Slurm partition, account or QoS outside the operator's allow-list, an image where the cluster runs no containers); `issues` names the field.",
    action: "Pick one of the names the message lists, or leave the field out for the operator's default.",
  },
  TY_ERR_IDEMPOTENCY_MISMATCH: {
    status: 422,
    meaning: "The `Idempotency-Key` was already used with a different request.",
    action: "Use a new key for a new request; reuse a key only to retry the identical request.",
  },
  TY_ERR_INVALID_CURSOR: {
    status: 400,
    meaning: "The pagination cursor is malformed or from another listing.",
    action: "Pass back `nextCursor` exactly as received, or omit it to start over.",
  },
  TY_ERR_CONFLICT: {
    status: 409,
    meaning: "The resource is in a state that does not allow this action (e.g. cancelling a finished experiment).",
    action: "Read the resource's current state first.",
  },
  TY_ERR_NOT_AVAILABLE: {
    status: 501,
    meaning: "The capability exists in the API but is not implemented on this deployment yet.",
    action: "Upgrade Trainyard, or run the step outside the service.",
  },
  TY_ERR_DEPENDENCY_UNAVAILABLE: {
    status: 503,
    meaning: "Postgres or Redis cannot be reached or did not answer in time (see /readyz, which names the dependency).",
    action: "Retry later; operators: check the database and Redis.",
  },
  TY_ERR_RATE_LIMITED: {
    status: 429,
    meaning: "Too many requests from this key (or address, without a key) in the rate-limit window (RATE_LIMIT_PER_MINUTE).",
    action: "Retry after the number of seconds in the `retry-after` header.",
  },
  TY_ERR_FORBIDDEN: {
    status: 403,
    meaning:
      "The key is valid but may not do this: an operator page or key listing with a tenant key, or a state-changing request whose `Origin` is not this server.",
    action: "Use an operator key (`trainyard keys create --operator`), or send the request from this origin or without a browser.",
  },
  TY_ERR_QUOTA_EXCEEDED: {
    status: 429,
    meaning:
      "The project is at one of its quotas (active experiments, active jobs, GPU-hours or dataset rows), or a stream cap (SSE streams per key or in all); `issues` names the limit.",
    action: "Wait for running experiments to finish or cancel some, close other streams, or ask the operator to raise the quota.",
  },
  TY_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: "The route exists but not for this method (e.g. HEAD on an event stream).",
    action: "Use GET for streams; see /docs for each route's methods.",
  },
  TY_ERR_BAD_REQUEST: {
    status: 400,
    meaning: "The HTTP request itself is malformed (a bad URL or percent-encoding, a broken header or request line).",
    action: "Send a well-formed HTTP/1.1 request with a URL-encoded path.",
  },
  TY_ERR_URI_TOO_LONG: {
    status: 414,
    meaning: "A path parameter or the URL is longer than the server accepts.",
    action: "Use the ids the API returned; they are short.",
  },
  TY_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: "The request headers are larger than the server accepts.",
    action: "Send fewer or smaller headers (cookies included).",
  },
  TY_ERR_REQUEST_TIMEOUT: {
    status: 408,
    meaning: "The client did not send the whole request in time.",
    action: "Send the request again over a working connection.",
  },
  TY_ERR_INTERNAL: {
    status: 500,
    meaning: "An unexpected server error; the request id is in the logs.",
    action: "Report it with the `x-request-id` response header.",
  },
  TY_ERR_JOB_FAILED: {
    status: 500,
    meaning: "A job handler failed with an unexpected error (job error body, not an HTTP answer).",
    action: "Read the job's events; infra errors are retried automatically.",
  },
  TY_ERR_JOB_TIMED_OUT: {
    status: 504,
    meaning: "A job ran past its catalogue timeout (job error body).",
    action: "Raise the timeout or shrink the work.",
  },
  TY_ERR_JOB_CANCELLED: {
    status: 409,
    meaning: "A job was cancelled, or skipped because a job it depends on did not succeed (job error body).",
    action: "Resubmit the experiment if the work is still wanted.",
  },
  TY_ERR_LEASE_LOST: {
    status: 503,
    meaning: "The worker running a job stopped heart-beating; the reconciler took the job back (job error body).",
    action: "Nothing: the job is retried as an infra error while attempts remain.",
  },
  TY_ERR_ENV_BAD_REQUEST: {
    status: 400,
    meaning: "An `env batch` request line is malformed or names an unknown op, env, split or field.",
    action: "Fix the request line as the message says; other lines are unaffected.",
  },
  TY_ERR_ENV_INTERNAL: {
    status: 500,
    meaning: "An environment operation failed unexpectedly (a verifier or generator bug, never the model's text).",
    action: "Report it with the request line; other lines are unaffected.",
  },
  TY_ERR_DATASET_INVALID_SPEC: {
    status: 400,
    meaning:
      "A dataset spec is invalid or impossible (unknown split, size 0, a seed range past the generator's bounds, ...); `issues` names the field.",
    action: "Change the field named in `issues[].path` as the message says.",
  },
  TY_ERR_DATASET_EMPTY: {
    status: 422,
    meaning: "A dataset set would have no rows: leak removal dropped every training item, or the CoT teacher had no accepted sample.",
    action: "Use `leaks: keep`, move the evaluation seeds (`datasets.eval.seedStart`), or raise the training size or teacher samples.",
  },
  TY_ERR_DATASET_BAD_UPLOAD: {
    status: 400,
    meaning: "An uploaded dataset file (the frozen General Points data) is missing from the artifact store or has a malformed line.",
    action: "Upload the JSONL file to the artifact store in the documented row format; the message names the line.",
  },
  TY_ERR_TEACHER_REJECTED: {
    status: 400,
    meaning: "The CoT teacher endpoint refused a request (400/401/403/404/422): wrong URL, model name or API key.",
    action: "Check `cot.teacher.baseUrl`, `model` and the key in the variable named by `apiKeyEnv`.",
  },
  TY_ERR_TEACHER_UNAVAILABLE: {
    status: 503,
    meaning: "The CoT teacher endpoint kept failing (connection errors, timeouts, 408/429/5xx) after every retry.",
    action: "Nothing, or check the endpoint: the build is retried and resumes from its journal.",
  },
  TY_ERR_ARTIFACT_MISSING: {
    status: 404,
    meaning: "A file is not in the artifact store (deleted, or its build never finished).",
    action: "Rebuild the dataset (rerun the experiment's dataset-build job or `trainyard dataset build`).",
  },
  TY_ERR_WEBHOOK_URL_FORBIDDEN: {
    status: 400,
    meaning:
      "The webhook URL's host is or resolves to a loopback, private, link-local, unique-local or other special-purpose address (IANA registries, NAT64, Teredo, 6to4 included), or its port is not 80/443 nor in WEBHOOK_ALLOWED_PORTS (SSRF guard); also a delivery attempt's error when DNS changed since.",
    action: "Use a publicly routable URL; operators of a closed network may set WEBHOOK_ALLOW_PRIVATE=true.",
  },
  TY_ERR_WEBHOOK_URL_UNRESOLVABLE: {
    status: 400,
    meaning: "The webhook URL's host name does not resolve in DNS.",
    action: "Check the host name; retry if DNS was briefly unavailable.",
  },
  TY_ERR_WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    meaning:
      "A received webhook failed `verifyWebhook`: a header is missing, the timestamp is outside the tolerance, or no `v1,` signature matches (receiver side, not an API answer).",
    action:
      "Check the endpoint secret (after a rotation both are valid for 24 h), the receiver's clock, and that the raw body bytes are verified.",
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error that carries a catalogue code across layers (and process boundaries, by `code`). */
export class TyError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly issues: ApiIssue[] | undefined;
  constructor(code: ErrorCode, message: string, issues?: ApiIssue[]) {
    super(message);
    this.name = "TyError";
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.issues = issues;
  }
}

/** zod issues → the API's issue list (paths of strings/numbers only). */
export function toApiIssues(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): ApiIssue[] {
  return issues.map((i) => ({
    code: i.code,
    path: [...prefix, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    message: i.message,
  }));
}
