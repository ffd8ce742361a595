/**
 * The API's response contract: the JSON body of every route's answer, by route. apps/api declares
 * these as its routes' response schemas (so the OpenAPI document describes every answer), the CLI
 * and the dashboard read their types from here, and a test parses real answers with them. Objects
 * are strict: a field the server sends that is missing here fails that test, not a client.
 * The API serializes answers as they are (JSON.stringify) and never through these schemas, so a
 * schema can describe an answer but never change one (docs/code-health.md#response-contracts).
 */
import { z } from "zod";
import { ApiErrorBody } from "./errors.js";
import { JobErrorInfo, JobEventType } from "./events.js";
import type { ExperimentSpec } from "./experiment.js";
import { FailureKind, JobCompute, JobKind, JobState } from "./jobs.js";
import { SplitGroup } from "./curves.js";
import { WebhookMessageType } from "./webhooks.js";

const Json = z.record(z.string(), z.unknown());
const Iso = z.string().describe("ISO 8601 timestamp");
const IsoOrNull = Iso.nullable();
const Selection = z.enum(["paper", "ours", "last"]);
const Ci95 = z.tuple([z.number(), z.number()]);

/**
 * An expanded ExperimentSpec as stored. The wire contract keeps it an open object (a spec stored by
 * an older version still answers); readers that need the typed spec re-parse it (parseStoredSpec).
 */
const StoredSpec = Json.describe("The expanded ExperimentSpec as stored") as unknown as z.ZodType<ExperimentSpec>;

// --- Liveness -------------------------------------------------------------------------------------

export const HealthResponse = z.strictObject({ ok: z.literal(true) });
const DependencyCheck = z.strictObject({ ok: z.boolean(), error: z.literal("unavailable").optional() });
const ReadyChecks = z.strictObject({ postgres: DependencyCheck, redis: DependencyCheck });
export const ReadyResponse = z.strictObject({ ok: z.literal(true), checks: ReadyChecks });
/** /readyz's 503: the error body plus which dependency is down. */
export const NotReadyResponse = ApiErrorBody.extend({ checks: ReadyChecks }).strict();

// --- Experiments and jobs ---------------------------------------------------------------------------

export const JobResponse = z.strictObject({
  id: z.string(),
  experimentId: z.string(),
  name: z.string(),
  kind: JobKind,
  arm: z.string().nullable(),
  seed: z.number().int().nullable(),
  dependsOn: z.array(z.string()),
  state: JobState,
  failureKind: FailureKind.nullable(),
  error: JobErrorInfo.nullable(),
  result: Json.nullable(),
  progress: z.number(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  /** Where its trainer runs (backend, run id, the backend's id such as the Slurm job id), or null. */
  compute: JobCompute.nullable(),
  /** Last event sequence number of the job: stream with `?after=` it to see only what follows. */
  eventSeq: z.number().int(),
  createdAt: Iso,
  startedAt: IsoOrNull,
  finishedAt: IsoOrNull,
});
export type JobResponse = z.infer<typeof JobResponse>;

const experimentFields = {
  id: z.string(),
  name: z.string(),
  task: z.string(),
  preset: z.string().nullable(),
  state: JobState,
  progress: z.number(),
  specHash: z.string(),
};
const experimentTail = {
  /** Last experiment-wide event sequence number (an experiment stream's `?after=`). */
  eventSeq: z.number().int(),
  createdAt: Iso,
  updatedAt: Iso,
  finishedAt: IsoOrNull,
};
/** A list item of `GET /experiments?view=summary`: an experiment without its spec. */
export const ExperimentSummary = z.strictObject({ ...experimentFields, ...experimentTail });
export type ExperimentSummary = z.infer<typeof ExperimentSummary>;
const ExperimentListed = z.strictObject({ ...experimentFields, spec: StoredSpec, ...experimentTail });
/** An experiment with its spec and its jobs (in DAG order). */
export const ExperimentResponse = z.strictObject({ ...experimentFields, spec: StoredSpec, ...experimentTail, jobs: z.array(JobResponse) });
export type ExperimentResponse = z.infer<typeof ExperimentResponse>;

const cursorPage = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
/** `GET /experiments/counts`: experiments matching the filters, in total and per state. */
export const ExperimentCounts = z.object({
  total: z.number().int(),
  byState: z.record(JobState, z.number().int()),
});
export type ExperimentCounts = z.infer<typeof ExperimentCounts>;
export const ValidateResponse = z.object({
  spec: z.record(z.string(), z.unknown()).describe("The fully expanded, validated ExperimentSpec."),
});
export const ExperimentPage = cursorPage(z.union([ExperimentListed, ExperimentSummary]));
export const JobList = z.strictObject({ items: z.array(JobResponse) });

export const JobEventResponse = z.strictObject({
  jobId: z.string(),
  experimentId: z.string(),
  seq: z.number().int(),
  experimentSeq: z.number().int(),
  type: JobEventType,
  data: Json,
  createdAt: Iso,
});
export type JobEventResponse = z.infer<typeof JobEventResponse>;
export const JobEventPage = z.strictObject({ items: z.array(JobEventResponse), nextAfter: z.number().int() });

/** A server-sent event stream (`text/event-stream`); errors before the stream opens are JSON. */
export const EventStream = { content: { "text/event-stream": { schema: z.string() } } };

// --- Presets ------------------------------------------------------------------------------------

const JobMemoryEstimate = z.strictObject({
  job: z.enum(["sft", "grpo"]),
  strategy: z.enum(["fsdp", "ddp"]),
  worldSize: z.number().int(),
  seqLen: z.number().int(),
  microBatch: z.number().int(),
  breakdown: z.strictObject({
    weights: z.number(),
    gradients: z.number(),
    optimizer: z.number(),
    activations: z.number(),
    logits: z.number(),
    overhead: z.number(),
  }),
  totalGiB: z.number(),
});
const MemoryEstimateBody = z.strictObject({
  model: z.string(),
  params: z.number(),
  gpuMemoryGiB: z.number(),
  perGpuGiB: z.number(),
  fits: z.boolean(),
  jobs: z.array(JobMemoryEstimate),
});
export const PresetResponse = z.strictObject({ name: z.string(), spec: StoredSpec, estimate: MemoryEstimateBody.nullable() });
export type PresetResponse = z.infer<typeof PresetResponse>;
export const PresetList = z.strictObject({ items: z.array(PresetResponse) });

// --- Evaluations ------------------------------------------------------------------------------------

export const EvalResultResponse = z.strictObject({
  id: z.string(),
  experimentId: z.string(),
  jobId: z.string(),
  checkpointId: z.string().nullable(),
  arm: z.string(),
  seed: z.number().int(),
  split: z.string(),
  step: z.number().int(),
  n: z.number().int(),
  success: z.number(),
  validity: z.number(),
  meanReward: z.number(),
  metrics: Json,
  createdAt: Iso,
  /** Set when the checkpoint's evaluation finished (its `eval.completed` was emitted). */
  completedAt: IsoOrNull,
});
export type EvalResultResponse = z.infer<typeof EvalResultResponse>;
export const EvalResultList = z.strictObject({ items: z.array(EvalResultResponse) });

export const EvalTurn = z.looseObject({
  prompt: z.string(),
  completion: z.string(),
  action: z.string().nullable(),
  actionId: z.number().nullable(),
  valid: z.boolean(),
  reward: z.number(),
  reason: z.string().nullable(),
  finishReason: z.string().nullable().optional(),
  promptTokens: z.number().nullable().optional(),
  completionTokens: z.number().nullable().optional(),
  latencyMs: z.number().optional(),
});
export type EvalTurn = z.infer<typeof EvalTurn>;
export const EvalItemResponse = z.strictObject({
  id: z.string(),
  evalResultId: z.string(),
  itemIndex: z.number().int(),
  itemKey: z.number().int(),
  success: z.boolean(),
  valid: z.boolean(),
  reward: z.number(),
  reason: z.string().nullable(),
  turns: z.array(EvalTurn),
  usage: Json,
  createdAt: Iso,
});
export type EvalItemResponse = z.infer<typeof EvalItemResponse>;
export const EvalItemPage = z.strictObject({ items: z.array(EvalItemResponse), nextAfter: z.number().int().nullable() });

const SplitOverlap = z.looseObject({
  items: z.number(),
  inTrain: z.number(),
  inTrainBefore: z.number(),
  bySet: z.record(z.string(), z.number()),
  trainRows: z.record(z.string(), z.number()),
});
export const OverlapReport = z.looseObject({
  key: z.string(),
  policy: z.enum(["keep", "remove"]),
  splits: z.record(z.string(), SplitOverlap),
  removed: z.record(z.string(), z.number()),
});
export type OverlapReport = z.infer<typeof OverlapReport>;

export const MatrixCell = z.strictObject({
  mean: z.number(),
  ci95: Ci95,
  n: z.number().int(),
  seeds: z.number().int(),
  validity: z.number(),
  perSeed: z.array(z.number()),
  /** The paper's value for this arm and split (paper presets only), else null. */
  paper: z.number().nullable(),
});
export type MatrixCell = z.infer<typeof MatrixCell>;
export const MatrixRow = z.strictObject({
  arm: z.string(),
  method: z.string(),
  data: z.string(),
  target: z.string(),
  /** Per seed: the step each rule chose. */
  checkpoints: z.record(z.string(), z.record(Selection, z.number().nullable())),
  cells: z.record(z.string(), MatrixCell.nullable()),
  /** `device`, `<device>Seconds`, `trainedTokens`, `generatedTokens`. */
  compute: z.record(z.string(), z.union([z.number(), z.string()])),
});
export type MatrixRow = z.infer<typeof MatrixRow>;
export const PairedDiffResponse = z.strictObject({
  a: z.string(),
  b: z.string(),
  split: z.string(),
  diff: z.number(),
  ci95: Ci95,
  n: z.number().int(),
});
export const MatrixResponse = z.strictObject({
  experimentId: z.string(),
  task: z.string(),
  preset: z.string().nullable(),
  state: JobState,
  selection: Selection,
  selectionRules: z.record(Selection, z.string()),
  splits: z.array(z.string()),
  groups: z.record(z.string(), SplitGroup),
  paperColumns: z.array(z.string()),
  paperModel: z.string().nullable(),
  rows: z.array(MatrixRow),
  paired: z.array(PairedDiffResponse),
  overlap: OverlapReport.nullable(),
});
export type MatrixResponse = z.infer<typeof MatrixResponse>;
/** `?format=csv`: one line per arm × split. */
export const MatrixCsv = { content: { "text/csv": { schema: z.string() } } };

// --- Datasets -------------------------------------------------------------------------------------

export const ManifestFile = z.looseObject({
  path: z.string(),
  kind: z.enum(["train", "eval"]),
  task: z.string(),
  name: z.string(),
  data: z.string().optional(),
  target: z.string().optional(),
  producer: z.string().optional(),
  rows: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
  fullReward: z.number().optional(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;
/** The dataset builder's manifest.json (open: the builder may add fields). */
export const DatasetManifest = z.looseObject({
  format: z.string(),
  builtWith: z.string(),
  task: z.string(),
  env: z.string(),
  template: z.enum(["raw", "chat"]),
  scoring: z.string(),
  specHash: z.string(),
  overlap: OverlapReport.optional(),
  files: z.array(ManifestFile),
  notes: z.array(z.string()).optional(),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;
const datasetFields = {
  id: z.string(),
  experimentId: z.string().nullable(),
  task: z.string(),
  specHash: z.string(),
  uri: z.string(),
  createdAt: Iso,
};
export const DatasetListItem = z.strictObject({
  ...datasetFields,
  /** How many files the manifest lists, and their rows in all. */
  files: z.number().int(),
  rows: z.number().int(),
});
export type DatasetListItem = z.infer<typeof DatasetListItem>;
export const DatasetPage = cursorPage(DatasetListItem);
export const DatasetResponse = z.strictObject({ ...datasetFields, manifest: DatasetManifest });
export type DatasetResponse = z.infer<typeof DatasetResponse>;
export const DatasetRows = z.strictObject({
  file: z.string(),
  rows: z.array(Json),
  offset: z.number().int(),
  total: z.number().int(),
  nextCursor: z.string().nullable(),
});
export type DatasetRows = z.infer<typeof DatasetRows>;
/** A dataset file, streamed as stored (`x-content-sha256`, strong ETag). */
export const DatasetFile = {
  content: {
    "application/x-ndjson": { schema: z.string() },
    "application/json": { schema: z.string() },
  },
};
/** No body: 204 No Content, or 304 Not Modified. */
export const NoBody = z.null().optional();

// --- Webhooks -------------------------------------------------------------------------------------

const webhookEndpointFields = {
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  /** Until when the secret before the last rotation still signs; null outside an overlap. */
  previousSecretExpiresAt: IsoOrNull,
  createdAt: Iso,
  updatedAt: Iso,
};
export const WebhookEndpointResponse = z.strictObject(webhookEndpointFields);
export type WebhookEndpointResponse = z.infer<typeof WebhookEndpointResponse>;
/** Only the answers that create an endpoint or rotate its secret carry the secret. */
export const WebhookEndpointWithSecret = z.strictObject({ ...webhookEndpointFields, secret: z.string() });
export const WebhookEndpointList = z.strictObject({ items: z.array(WebhookEndpointResponse) });

export const WebhookAttempt = z.strictObject({
  attempt: z.number().int(),
  at: Iso,
  /** HTTP status, or null when no answer came (connection refused, timeout, target refused). */
  status: z.number().int().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  /** The start of the receiver's answer (absent on deliveries recorded before it was kept). */
  response: z.string().nullable().optional(),
});
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;
const webhookDeliveryFields = {
  id: z.string(),
  endpointId: z.string(),
  messageId: z.string(),
  eventType: WebhookMessageType,
  state: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: IsoOrNull,
  createdAt: Iso,
  deliveredAt: IsoOrNull,
  log: z.array(WebhookAttempt),
};
const WebhookDeliveryListed = z.strictObject(webhookDeliveryFields);
/** One delivery (`GET /webhooks/deliveries/:id`, test, redeliver) also carries the signed message. */
export const WebhookDeliveryResponse = z.strictObject({ ...webhookDeliveryFields, payload: z.unknown() });
export type WebhookDeliveryResponse = z.infer<typeof WebhookDeliveryResponse>;
export const WebhookDeliveryPage = cursorPage(WebhookDeliveryListed);

// --- API keys -------------------------------------------------------------------------------------

export const ApiKeyResponse = z.strictObject({
  id: z.string(),
  project: z.string(),
  prefix: z.string(),
  name: z.string().nullable(),
  operator: z.boolean(),
  createdAt: Iso,
  lastUsedAt: IsoOrNull,
  revokedAt: IsoOrNull,
});
export type ApiKeyResponse = z.infer<typeof ApiKeyResponse>;
export const ApiKeyList = z.strictObject({ items: z.array(ApiKeyResponse) });
