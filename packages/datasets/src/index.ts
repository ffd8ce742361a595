/**
 * packages/datasets: the paper's training and evaluation sets, built from a dataset spec into an
 * artifact store (JSONL in TRL's prompt–completion format + a manifest written last).
 */
export {
  ALL_ARMS,
  ArtifactKey,
  DatasetSpecInput,
  FrozenSource,
  TeacherSpec,
  armName,
  datasetSpecFromExperiment,
  datasetSpecHash,
  hashedSpec,
  resolveDatasetSpec,
  type ArmRef,
  type DatasetSpec,
  type SeedRange,
} from "./spec.js";
export { buildDataset, datasetKey, taskSource, type BuildOptions, type BuildResult } from "./build.js";
export {
  ARTIFACT_SCHEME,
  LocalArtifactStore,
  checkKey,
  type ArtifactStat,
  type ArtifactStore,
  type PutResult,
  type PutSource,
} from "./store.js";
export { BUILT_WITH, MANIFEST_FORMAT, ManifestFile, parseManifest, type Acceptance, type Manifest } from "./manifest.js";
export { LeakIndex, type OverlapReport, type SplitOverlap } from "./leaks.js";
export { gpDiverseIndices, sokobanSplitPosition, GP_SEED0 } from "./seeds.js";
export { Ticker, type ProgressFn } from "./ticker.js";
export { teacherClient, type RetryStats, type TeacherClient, type TeacherDeps, type TeacherPrompt } from "./teacher/clients.js";
export { Journal, rejectionSample, type SampleJob, type SampleOutcome } from "./teacher/sampler.js";
export { presetDatasetSpec } from "./presets.js";
export { readRows, renderRows } from "./show.js";
export { readEvalKeys } from "./eval-keys.js";
export type { ChatMessage, Template } from "./tasks/types.js";
