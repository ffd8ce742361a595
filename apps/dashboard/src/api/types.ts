/**
 * Shapes of the REST answers the pages read: the API's response contract
 * (packages/contracts/src/responses.ts), imported as types only, under the names the pages use.
 */
import type {
  ApiIssue,
  DatasetManifest,
  DatasetResponse,
  EvalItemResponse,
  EvalResultResponse,
  EvalTurn,
  ExperimentResponse,
  JobEventResponse,
  JobResponse,
  MatrixResponse,
  PresetResponse,
  WebhookDeliveryResponse,
  WebhookEndpointResponse,
} from "@trainyard/contracts";

export type {
  ApiIssue,
  AttemptView,
  CheckpointView,
  CurvesResponse,
  DatasetListItem,
  DatasetRows,
  ExperimentCounts,
  ExperimentSummary,
  JobState,
  ManifestFile,
  MatrixCell,
  Selection,
} from "@trainyard/contracts";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Job = JobResponse;
export type Experiment = ExperimentResponse;

export type Preset = PresetResponse;
export type JobEvent = JobEventResponse;
export type Matrix = MatrixResponse;
export type EvalResult = EvalResultResponse;
export type Turn = EvalTurn;
export type EvalItem = EvalItemResponse;
export type Manifest = DatasetManifest;
export type Dataset = DatasetResponse;
export type WebhookEndpoint = WebhookEndpointResponse & {
  /** Only in the answers that create an endpoint or rotate its secret. */
  secret?: string;
};
export type WebhookDelivery = WebhookDeliveryResponse;

export type Issue = ApiIssue;
