/**
 * Shapes of the REST answers the pages read. Routes with zod response schemas in
 * packages/contracts are imported from there (types only); the older routes' shapes are written
 * out here from their views (packages/db/src/views.ts, matrix.ts, webhooks.ts).
 */
import type {
  ApiIssue,
  CellStats,
  ExperimentSpec,
  FailureKind,
  JobErrorInfo,
  JobEventType,
  JobKind,
  JobState,
  Selection,
} from "@trainyard/contracts";

export type { ApiIssue, AttemptView, CheckpointView, CurvesResponse, ExperimentSpec, JobState, Selection } from "@trainyard/contracts";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Job {
  id: string;
  experimentId: string;
  name: string;
  kind: JobKind;
  arm: string | null;
  seed: number | null;
  dependsOn: string[];
  state: JobState;
  failureKind: FailureKind | null;
  error: JobErrorInfo | null;
  result: Record<string, unknown> | null;
  progress: number;
  attempts: number;
  maxAttempts: number;
  eventSeq: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ExperimentSummary {
  id: string;
  name: string;
  task: string;
  preset: string | null;
  state: JobState;
  progress: number;
  specHash: string;
  eventSeq: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface Experiment extends ExperimentSummary {
  spec: ExperimentSpec;
  jobs: Job[];
}

export interface ExperimentCounts {
  total: number;
  byState: Record<JobState, number>;
}

export interface Preset {
  name: string;
  spec: ExperimentSpec;
}

export interface JobEvent {
  jobId: string;
  experimentId: string;
  seq: number;
  experimentSeq: number;
  type: JobEventType;
  data: Record<string, unknown>;
  createdAt: string;
}

export interface MatrixCell extends CellStats {
  paper: number | null;
}

export interface SplitOverlap {
  items: number;
  inTrain: number;
  inTrainBefore: number;
  bySet: Record<string, number>;
  trainRows: Record<string, number>;
}

export interface OverlapReport {
  key: string;
  policy: "keep" | "remove";
  splits: Record<string, SplitOverlap>;
  removed: Record<string, number>;
}

export interface MatrixRow {
  arm: string;
  method: string;
  data: string;
  target: string;
  /** Per seed: the step each rule chose. */
  checkpoints: Record<string, Record<Selection, number | null>>;
  cells: Record<string, MatrixCell | null>;
  compute: Record<string, number | string>;
}

export interface PairedDiff {
  a: string;
  b: string;
  split: string;
  diff: number;
  ci95: [number, number];
  n: number;
}

export interface Matrix {
  experimentId: string;
  task: string;
  preset: string | null;
  state: JobState;
  selection: Selection;
  selectionRules: Record<Selection, string>;
  splits: string[];
  groups: Record<string, "id" | "instruction" | "difficulty" | "fake">;
  paperColumns: string[];
  paperModel: string | null;
  rows: MatrixRow[];
  paired: PairedDiff[];
  overlap: OverlapReport | null;
}

export interface EvalResult {
  id: string;
  jobId: string;
  checkpointId: string | null;
  arm: string;
  seed: number;
  split: string;
  step: number;
  n: number;
  success: number;
  validity: number;
  meanReward: number;
  metrics: Record<string, unknown>;
  createdAt: string;
}

export interface Turn {
  prompt: string;
  completion: string;
  action: string | null;
  actionId: number | null;
  valid: boolean;
  reward: number;
  reason: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
}

export interface EvalItem {
  id: string;
  evalResultId: string;
  itemIndex: number;
  itemKey: number;
  success: boolean;
  valid: boolean;
  reward: number;
  reason: string | null;
  turns: Turn[];
  usage: Record<string, unknown>;
  createdAt: string;
}

export interface ManifestFile {
  path: string;
  kind: "train" | "eval";
  task: string;
  name: string;
  data?: string;
  target?: string;
  producer?: string;
  rows: number;
  bytes: number;
  sha256: string;
  fullReward?: number;
}

export interface Manifest {
  format: string;
  builtWith: string;
  task: string;
  env: string;
  template: "raw" | "chat";
  scoring: string;
  specHash: string;
  overlap?: OverlapReport;
  files: ManifestFile[];
  notes?: string[];
}

export interface Dataset {
  id: string;
  experimentId: string | null;
  task: string;
  specHash: string;
  uri: string;
  createdAt: string;
  manifest: Manifest;
}

export interface DatasetListItem {
  id: string;
  experimentId: string | null;
  task: string;
  createdAt: string;
  files: number;
  rows: number;
}

export interface DatasetRows {
  file: string;
  rows: Record<string, unknown>[];
  offset: number;
  total: number;
  nextCursor: string | null;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Only in the answers that create an endpoint or rotate its secret. */
  secret?: string;
}

export interface WebhookAttempt {
  attempt: number;
  at: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the receiver's answer (absent on deliveries recorded before it was kept). */
  response?: string | null;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  log: WebhookAttempt[];
  payload?: unknown;
}

export type Issue = ApiIssue;
