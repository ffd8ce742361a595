/**
 * The dataset spec: what one build produces. A user writes the loose input form (every field
 * optional, task-specific defaults = the paper's); `resolveDatasetSpec` validates it and fills
 * every default, and the resolved form is what gets hashed, so two specs that build the same
 * bytes share one hash and one artifact directory.
 *
 * Seeds: Sokoban seeds are level seeds. General Points seeds are the generator's per-task seeds,
 * `42 + index` (docs/gp-rules.md#drawing-cards), so `seedStart: 42` is task 0 and the paper's sets.
 */
import { z } from "zod";
import {
  ArmData,
  ArmTarget,
  TaskName,
  TASK_SPLITS,
  PAPER_SPLITS,
  MAX_EVAL_ITEMS,
  canonicalJson,
  type ExperimentSpec,
} from "@trainyard/contracts";
import { createHash } from "node:crypto";
import { invalidSpec } from "./errors.js";
import { checkSeeds } from "./seeds.js";
import { datasetTask } from "./tasks/index.js";

const Int = z.number().int();
const Range = z.strictObject({
  /** Sokoban: levels (each expands to one row per state of its BFS plan); GP: tasks. */
  size: Int.min(1).max(1_000_000).optional(),
  /** First seed (Sokoban level seed; GP task seed = 42 + index). */
  seedStart: Int.min(0).max(0xffffffff).optional(),
});

/** Artifact-store key of an uploaded file: relative, no `..`, no backslashes. */
export const ArtifactKey = z
  .string()
  .min(1)
  .max(500)
  .regex(/^(artifact:\/\/)?(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/, "an artifact-store key like `uploads/gp-frozen.jsonl`");

export const TeacherSpec = z.strictObject({
  /** `openai`: any OpenAI-compatible server (vLLM, TGI, OpenAI); `huggingface`: an HF endpoint (chat only). */
  provider: z.enum(["openai", "huggingface"]).default("openai"),
  /** OpenAI-compatible base URL ending in `/v1`, or the HF endpoint URL. */
  baseUrl: z.url({ protocol: /^https?$/ }).max(2000),
  model: z.string().min(1).max(200).default("teacher"),
  /** k: samples tried per prompt (the paper: 16); the first with full reward is kept. */
  samples: Int.min(1).max(64).default(16),
  /** Samples asked for in one request (`n`); 1 for servers without `n` support. */
  samplesPerRequest: Int.min(1).max(64).default(1),
  temperature: z.number().min(0).max(2).default(1),
  topP: z.number().gt(0).max(1).default(1),
  maxTokens: Int.min(1).max(65536).default(4096),
  /** Requests in flight at once. Operational: not part of the spec hash. */
  concurrency: Int.min(1).max(256).default(8),
  /** Per-request timeout in ms. Operational. */
  timeoutMs: Int.min(100).max(3_600_000).default(300_000),
  /** Retries per request after the first try (408/409/429/5xx, connection errors, timeouts). Operational. */
  maxRetries: Int.min(0).max(20).default(4),
  /** Name of the environment variable holding the API key; the key itself never enters a spec. */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .max(100)
    .optional(),
});
export type TeacherSpec = z.infer<typeof TeacherSpec>;
const OPERATIONAL = ["concurrency", "timeoutMs", "maxRetries", "apiKeyEnv"] as const;

export const FrozenSource = z.discriminatedUnion("kind", [
  /** Regenerated with Chu et al.'s distribution and legacy wording (envs split `train-frozen`). */
  z.strictObject({ kind: z.literal("generated") }),
  /** A JSONL file already in the artifact store, rows in our chat format (see gp-upload.ts). */
  z.strictObject({ kind: z.literal("upload"), uri: ArtifactKey }),
]);

export const DatasetSpecInput = z.strictObject({
  task: TaskName,
  train: z
    .strictObject({
      size: Range.shape.size,
      seedStart: Range.shape.seedStart,
      /** Training files to build; default all four (frozen|diverse × answer|cot). */
      arms: z
        .array(z.strictObject({ data: ArmData, target: ArmTarget }))
        .max(32)
        .optional(),
      /** Per-data overrides of size/seedStart (answer and CoT files of one data share items). */
      frozen: Range.optional(),
      diverse: Range.optional(),
      /** General Points only: where the frozen training items come from. */
      frozenSource: FrozenSource.optional(),
    })
    .prefault({}),
  eval: z
    .strictObject({
      /** Items per split. */
      size: Range.shape.size,
      /** Sokoban: base seed; split k of the env's list gets base + k·size (docs/sokoban-rules.md#evaluation-seeds). GP: first task seed. */
      seedStart: Range.shape.seedStart,
      splits: z.array(z.string().max(32)).max(16).optional(),
      /** Per-split size / first seed (the seed is used as is, no base + k·size). */
      overrides: z.record(z.string().max(32), Range).optional(),
    })
    .prefault({}),
  /** Training items whose state also occurs in an evaluation split: keep them (report only) or drop them. */
  leaks: z.enum(["keep", "remove"]).default("keep"),
  /** GP verifier arithmetic (`paper`: float equality as the reference; `exact`: rationals). */
  scoring: z.enum(["paper", "exact"]).default("paper"),
  cot: z
    .strictObject({
      producer: z.enum(["solver", "teacher"]).default("solver"),
      teacher: TeacherSpec.optional(),
    })
    .prefault({}),
});
export type DatasetSpecInput = z.input<typeof DatasetSpecInput>;

export interface SeedRange {
  size: number;
  seedStart: number;
}
export interface ArmRef {
  data: z.infer<typeof ArmData>;
  target: z.infer<typeof ArmTarget>;
}

/** Fully resolved spec: every default filled, every range explicit. */
export interface DatasetSpec {
  task: TaskName;
  train: {
    arms: ArmRef[];
    frozen: SeedRange;
    diverse: SeedRange;
    frozenSource: z.infer<typeof FrozenSource>;
  };
  eval: { splits: ({ name: string } & SeedRange)[] };
  leaks: "keep" | "remove";
  scoring: "paper" | "exact";
  cot: { producer: "solver" | "teacher"; teacher: TeacherSpec | null };
}

const DEFAULTS = {
  sokoban: { train: { size: 1000, seedStart: 42 }, eval: { size: 100, seedStart: 123 } },
  "general-points": { train: { size: 10_000, seedStart: 42 }, eval: { size: 500, seedStart: 42 } },
} as const;

export const ALL_ARMS: readonly ArmRef[] = [
  { data: "frozen", target: "answer" },
  { data: "diverse", target: "answer" },
  { data: "frozen", target: "cot" },
  { data: "diverse", target: "cot" },
];

export const armName = (a: ArmRef): string => `${a.data}-${a.target}`;

/** Validates and fills defaults. Throws TyError TY_ERR_DATASET_INVALID_SPEC naming the field. */
export function resolveDatasetSpec(input: unknown): DatasetSpec {
  const parsed = DatasetSpecInput.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw invalidSpec(
      i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
      i.message,
      parsed.error.issues,
    );
  }
  const s = parsed.data;
  const d = DEFAULTS[s.task];
  const range = (over: { size?: number | undefined; seedStart?: number | undefined } | undefined): SeedRange => ({
    size: over?.size ?? s.train.size ?? d.train.size,
    seedStart: over?.seedStart ?? s.train.seedStart ?? d.train.seedStart,
  });

  const seen = new Set<string>();
  const arms = (s.train.arms ?? ALL_ARMS).filter((a) => {
    const dup = seen.has(armName(a));
    seen.add(armName(a));
    return !dup;
  });
  // Keep a stable order whatever order the user listed them in.
  arms.sort((a, b) => ALL_ARMS.findIndex((x) => armName(x) === armName(a)) - ALL_ARMS.findIndex((x) => armName(x) === armName(b)));

  const allowed = TASK_SPLITS[s.task];
  const names = s.eval.splits ?? [...PAPER_SPLITS[s.task]];
  names.forEach((n, i) => {
    if (!allowed.includes(n)) invalidSpecThrow(["eval", "splits", i], `unknown split '${n}' for ${s.task}; one of: ${allowed.join(", ")}`);
    if (names.indexOf(n) !== i) invalidSpecThrow(["eval", "splits", i], `split '${n}' listed twice`);
  });
  for (const k of Object.keys(s.eval.overrides ?? {})) {
    if (!names.includes(k)) invalidSpecThrow(["eval", "overrides", k], `override for split '${k}', which is not in eval.splits`);
  }
  const evalSize = s.eval.size ?? d.eval.size;
  const evalBase = s.eval.seedStart ?? d.eval.seedStart;
  const splits = names.map((name) => {
    const o = s.eval.overrides?.[name];
    const size = o?.size ?? evalSize;
    const seedStart = o?.seedStart ?? datasetTask(s.task).evalSeedStart(name, evalBase, evalSize);
    return { name, size, seedStart };
  });
  splits.forEach((sp) => {
    if (sp.size > MAX_EVAL_ITEMS[s.task]) {
      const path = s.eval.overrides?.[sp.name]?.size ? ["eval", "overrides", sp.name, "size"] : ["eval", "size"];
      invalidSpecThrow(path, `${s.task} has at most ${MAX_EVAL_ITEMS[s.task]} items per split`);
    }
  });

  if (s.cot.producer === "teacher" && !s.cot.teacher) invalidSpecThrow(["cot", "teacher"], "producer 'teacher' needs a teacher endpoint");
  if (s.cot.teacher?.provider === "huggingface" && s.task === "sokoban") {
    invalidSpecThrow(
      ["cot", "teacher", "provider"],
      "Sokoban prompts are raw text for /v1/completions; the huggingface provider is chat-only. Use provider 'openai' with the endpoint's OpenAI-compatible /v1 URL",
    );
  }
  const frozenSource = s.train.frozenSource ?? { kind: "generated" as const };
  if (frozenSource.kind === "upload" && s.task !== "general-points") {
    invalidSpecThrow(["train", "frozenSource"], "an uploaded frozen set exists only for general-points");
  }
  if (arms.length === 0 && splits.length === 0)
    invalidSpecThrow(["train", "arms"], "nothing to build: no training arm and no evaluation split");

  const spec: DatasetSpec = {
    task: s.task,
    train: { arms, frozen: range(s.train.frozen), diverse: range(s.train.diverse), frozenSource },
    eval: { splits },
    leaks: s.leaks,
    scoring: s.scoring,
    cot: { producer: s.cot.producer, teacher: s.cot.producer === "teacher" ? (s.cot.teacher ?? null) : null },
  };
  checkSeeds(spec, s.train.frozen !== undefined, s.train.diverse !== undefined, s.eval.overrides ?? {});
  return spec;
}

function invalidSpecThrow(path: (string | number)[], message: string): never {
  throw invalidSpec(path, message);
}

/** The experiment's dataset: its arms' data×target pairs, its splits, sizes, seeds and leak policy. */
export function datasetSpecFromExperiment(spec: ExperimentSpec, extra: Pick<DatasetSpecInput, "cot"> = {}): DatasetSpec {
  const arms = spec.arms.map((a) => ({ data: a.data, target: a.target }));
  return resolveDatasetSpec({
    task: spec.task,
    train: { size: spec.datasets.train.size, seedStart: spec.datasets.train.seedStart, arms },
    eval: { size: spec.datasets.eval.size, seedStart: spec.datasets.eval.seedStart, splits: spec.splits },
    leaks: spec.datasets.leaks,
    scoring: spec.scoring,
    ...extra,
  });
}

/** What the hash covers: the resolved spec minus operational knobs (concurrency, timeouts, key names). */
export function hashedSpec(spec: DatasetSpec): unknown {
  if (!spec.cot.teacher) return spec;
  const teacher: Record<string, unknown> = { ...spec.cot.teacher };
  for (const k of OPERATIONAL) delete teacher[k];
  return { ...spec, cot: { ...spec.cot, teacher } };
}

/** SHA-256 of the canonical JSON of `hashedSpec(spec)`; names the artifact directory. */
export function datasetSpecHash(spec: DatasetSpec): string {
  return createHash("sha256")
    .update(canonicalJson(hashedSpec(spec)))
    .digest("hex");
}
