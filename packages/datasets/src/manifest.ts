/**
 * `manifest.json`: written LAST, so its presence means every file it lists is complete. It holds
 * no timestamps or host names: the same spec builds a byte-identical manifest (solver builds).
 */
import { z } from "zod";
import type { OverlapReport } from "./leaks.js";

export const MANIFEST_FORMAT = "trainyard.dataset/v1";
/** Bumped with any change to the rows this package writes. */
export const BUILT_WITH = "@trainyard/datasets@0.1.0";

export const ManifestFile = z.object({
  /** Relative to the dataset directory, e.g. `train/frozen-answer.jsonl`, `eval/id.jsonl`. */
  path: z.string(),
  kind: z.enum(["train", "eval"]),
  task: z.string(),
  /** Arm (`frozen-answer`, ...) or split (`id`, `all-5`, ...). */
  name: z.string(),
  data: z.enum(["frozen", "diverse"]).optional(),
  target: z.enum(["answer", "cot"]).optional(),
  /** Who wrote the completions: the env's solver, an uploaded file, or the teacher model. */
  producer: z.enum(["solver", "upload", "teacher"]).optional(),
  rows: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
  /** Training files: rows whose completion earns full reward under the env's own score. */
  fullReward: z.number().int().optional(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export interface Acceptance {
  prompts: number;
  accepted: number;
  dropped: number;
  rate: number;
  samples: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  builtWith: string;
  task: string;
  /** `env id@version`. */
  env: string;
  /** `raw`: prompt/completion are text (Sokoban, no chat template); `chat`: message lists (GP). */
  template: "raw" | "chat";
  scoring: "paper" | "exact";
  specHash: string;
  /** The resolved spec the hash covers. */
  spec: unknown;
  generator: { train: Record<string, unknown>; eval: Record<string, { first: number; last: number; count: number }> };
  overlap: OverlapReport;
  cot: { producer: "solver" | "teacher"; acceptance?: Record<string, Acceptance> };
  files: ManifestFile[];
  notes: string[];
}

export const ManifestShape = z.looseObject({
  format: z.literal(MANIFEST_FORMAT),
  builtWith: z.string(),
  task: z.string(),
  env: z.string(),
  template: z.enum(["raw", "chat"]),
  specHash: z.string(),
  files: z.array(ManifestFile),
});

/** Parses a manifest read from disk (throws on a foreign or broken file). */
export function parseManifest(text: string): Manifest {
  return ManifestShape.parse(JSON.parse(text)) as unknown as Manifest;
}
