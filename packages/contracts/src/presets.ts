/**
 * Named presets. A preset expands to a full ExperimentSpec the user can read back; fields sent
 * beside `preset` override it (objects merge, arrays replace).
 */
import { ExperimentSpec, PresetName, type ExperimentSpecInput } from "./experiment.js";
import { PAPER_SPLITS } from "./tasks.js";
import { TyError, toApiIssues, type ApiIssue } from "./errors.js";

/** The paper's five methods (docs/paper.md#methods). */
const PAPER_ARMS = [
  { name: "ans", method: "sft", data: "frozen", target: "answer" },
  { name: "diverse-ans", method: "sft", data: "diverse", target: "answer" },
  { name: "cot", method: "sft", data: "frozen", target: "cot" },
  { name: "diverse-cot", method: "sft", data: "diverse", target: "cot" },
  { name: "rl-warm", method: "sft-then-grpo", data: "frozen", target: "cot" },
] as const;

// Paper hyper-parameters (docs/paper.md#sft-hyper-parameters, docs/paper.md#grpo-hyper-parameters, App. B). Where the paper and the authors' scripts
// differ (15 vs 5 SFT epochs, 7,000 vs 1,024/4,096 tokens) the preset follows the paper's text.
const PAPER_SFT = {
  epochs: 15,
  learningRate: 1e-5,
  batchSize: 128,
  // Per GPU: 4 sequences of up to ~9k tokens per forward/backward (128 = 4 × 4 GPUs × 8 accumulation).
  microBatchSize: 4,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  gradClip: 1.0,
  saveSteps: 50,
};
const PAPER_GRPO = {
  numGenerations: 8,
  promptsPerBatch: 256,
  miniBatchPrompts: 256,
  // Per GPU: 4 completions per forward/backward (2,048 per step = 4 × 4 GPUs × 128 accumulation).
  // 8 would need ~89 GiB per GPU at 7,000-token completions (the preflight, docs/distributed.md).
  microBatchSize: 4,
  learningRate: 1e-6,
  epsilon: 0.2,
  beta: 0,
  temperature: 1.0,
  maxCompletionLength: 7000,
  steps: 100,
  warmStartSteps: 10,
  saveSteps: 10,
};
// The authors' layout: one node × 4 GPUs; strategy auto = FSDP full shard for a full-parameter
// model on GPUs (docs/distributed.md has the memory estimate).
const PAPER_COMPUTE = { backend: "kubernetes", resources: { gpus: 4, cpus: 32, memoryGiB: 256 } } as const;

// The CPU demo's SFT: batch 16, cosine schedule, 5 % warm-up (the measured recipe, docs/demo.md).
const DEMO_SFT = {
  epochs: 6,
  maxSteps: 600,
  learningRate: 3e-3,
  batchSize: 16,
  warmupRatio: 0.05,
  weightDecay: 0.01,
  gradClip: 1.0,
  saveSteps: 200,
};
const DEMO_GRPO = {
  numGenerations: 8,
  promptsPerBatch: 16,
  miniBatchPrompts: 16,
  learningRate: 1e-4,
  maxCompletionLength: 64,
  steps: 20,
  warmStartSteps: 10,
  saveSteps: 10,
};
const DEMO_COMPUTE = { backend: "process", resources: { gpus: 0, cpus: 1, memoryGiB: 2 } } as const;

const DEMO_CPU = {
  name: "demo-cpu",
  preset: "demo-cpu",
  task: "sokoban",
  // The measured CPU model (docs/demo.md): 4 layers learn the board → move map in half the steps
  // of 2; the labels tokenizer makes each label one token, and the copy head can emit labels no
  // training answer contained (A, 1, *), which the diverse arm needs. Its gate reads the input
  // token: a gate reading the hidden state kept the diverse arm from learning the move.
  model: {
    engine: "cpu-tiny",
    dModel: 192,
    layers: 4,
    heads: 12,
    contextLength: 1536,
    tokenizer: "labels",
    copyHead: true,
    copyFirstOnly: true,
    copyGateBias: 8,
    copyGate: "token",
    tieEmbeddings: false,
  },
  // The diverse arm trains 1,000 steps (checkpoints every 250), the frozen arm 600: the diverse
  // arm's moves kept improving to 1,000 at every measured seed, and at 600 its ID cell depended on
  // the seed and the CPU (27–57 %; docs/demo.md).
  arms: [
    { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
    { name: "diverse-ans", method: "sft", data: "diverse", target: "answer", sft: { maxSteps: 1000, saveSteps: 250 } },
  ],
  seeds: [0],
  datasets: { train: { size: 1000, seedStart: 42 }, eval: { size: 30, seedStart: 100_000 }, leaks: "remove" },
  splits: [...PAPER_SPLITS.sokoban],
  // The paper's sampling temperature. An answer-only completion is 3–6 tokens; 16 keeps one
  // rambling answer from holding a whole serving batch for 64 decoding steps.
  sampling: { temperature: 0.5, topP: 1, n: 1, maxTokens: 16 },
  // Ours, not the paper's (docs/demo.md): the loss also covers the board's cells, at a fifth of an
  // answer token's weight, falling to 0 by the last step. The dense early signal takes every
  // measured seed off the plateau where a from-scratch model only guesses the move; ending
  // answer-only keeps it from writing board cells where the answer belongs. The position ids of
  // each training row jump by up to ±12 before the board, so neither arm places its answer by
  // counting tokens from the instructions: the other arm's layout (the `where` line, 9 tokens)
  // then no longer breaks its answers (frozen Fake, diverse ID).
  sft: { ...DEMO_SFT, observationLoss: true, observationWeight: 0.2, observationSchedule: "linear", positionJitter: 12 },
  grpo: DEMO_GRPO,
  scoring: "paper",
  compute: DEMO_COMPUTE,
} satisfies ExperimentSpecInput;

export const PRESETS: Record<PresetName, ExperimentSpecInput> = {
  "paper-sokoban": {
    name: "paper-sokoban",
    preset: "paper-sokoban",
    task: "sokoban",
    model: { engine: "hf", id: "Qwen/Qwen2.5-7B", maxModelLength: 9216 },
    arms: [...PAPER_ARMS],
    seeds: [0],
    datasets: { train: { size: 1000, seedStart: 42 }, eval: { size: 100, seedStart: 123 }, leaks: "keep" },
    splits: [...PAPER_SPLITS.sokoban],
    sampling: { temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 },
    sft: PAPER_SFT,
    grpo: PAPER_GRPO,
    scoring: "paper",
    compute: PAPER_COMPUTE,
  },
  "paper-general-points": {
    name: "paper-general-points",
    preset: "paper-general-points",
    task: "general-points",
    model: { engine: "hf", id: "Qwen/Qwen2.5-7B", maxModelLength: 10240 },
    arms: [...PAPER_ARMS],
    seeds: [0],
    datasets: { train: { size: 10000, seedStart: 42 }, eval: { size: 500, seedStart: 42 }, leaks: "keep" },
    splits: [...PAPER_SPLITS["general-points"]],
    sampling: { temperature: 0.5, topP: 1, n: 1, maxTokens: 8192 },
    sft: PAPER_SFT,
    grpo: PAPER_GRPO,
    scoring: "paper",
    compute: PAPER_COMPUTE,
  },
  // paper-sokoban without the leak: the paper's evaluation seeds (123 + k) lie inside its training
  // seeds 42–1041, so its ID/Alpha/Num/Rand/Fake levels are training levels. Here the evaluation
  // seeds start far past the training range. Disjoint seeds are not enough on their own: small
  // 6×6 rooms repeat, and 18–31 of each 100 such evaluation boards still occur as some training
  // state, so `leaks: "remove"` drops those training states (211 of 3,982 rows).
  "clean-sokoban": {
    name: "clean-sokoban",
    preset: "clean-sokoban",
    task: "sokoban",
    model: { engine: "hf", id: "Qwen/Qwen2.5-7B", maxModelLength: 9216 },
    arms: [...PAPER_ARMS],
    seeds: [0],
    datasets: { train: { size: 1000, seedStart: 42 }, eval: { size: 100, seedStart: 100_000 }, leaks: "remove" },
    splits: [...PAPER_SPLITS.sokoban],
    sampling: { temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 },
    sft: PAPER_SFT,
    grpo: PAPER_GRPO,
    scoring: "paper",
    compute: PAPER_COMPUTE,
  },
  // A complete experiment on the embedded CPU engine: frozen vs diverse answer-only SFT on
  // Sokoban, every paper split, evaluated at several checkpoints per arm on levels that are not
  // training boards (clean-sokoban's seeds and leak removal). Sized to finish in ~15 minutes on 2
  // cores. The data and prompts are the paper's; the model and its optimisation are the CPU
  // recipe measured in docs/demo.md.
  "demo-cpu": DEMO_CPU,
  // demo-cpu with three training seeds per arm and more evaluation levels: means with 95 % CIs and
  // paired differences between the arms on the same levels.
  "repro-cpu": {
    ...DEMO_CPU,
    name: "repro-cpu",
    preset: "repro-cpu",
    seeds: [0, 1, 2],
    datasets: { ...DEMO_CPU.datasets, eval: { size: 40, seedStart: 100_000 } },
  },
  // General Points on the CPU engine: frozen vs diverse answer-only SFT, every paper split. Its
  // model, schedule and token cap stay the first CPU recipe (2 layers, lines tokenizer, 1,500
  // steps, 64 tokens: an equation is longer than a move): the copy-head recipe was measured on
  // Sokoban only.
  "demo-cpu-gp": {
    ...DEMO_CPU,
    name: "demo-cpu-gp",
    preset: "demo-cpu-gp",
    task: "general-points",
    model: { engine: "cpu-tiny", dModel: 192, layers: 2, heads: 12, contextLength: 1536 },
    // One budget for both arms (the Sokoban demo's longer diverse arm was measured on Sokoban only).
    arms: [
      { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
      { name: "diverse-ans", method: "sft", data: "diverse", target: "answer" },
    ],
    sft: { ...DEMO_SFT, maxSteps: 1500, saveSteps: 500 },
    sampling: { ...DEMO_CPU.sampling, maxTokens: 64 },
    // Test tasks are the paper's fixed test sets; training tasks start past them.
    datasets: { train: { size: 2000, seedStart: 42 }, eval: { size: 30, seedStart: 42 }, leaks: "remove" },
    splits: [...PAPER_SPLITS["general-points"]],
  },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function issuesToError(issues: ApiIssue[]): TyError {
  const conflict = issues.some((i) => i.code === "custom");
  const first = issues[0];
  const where = first ? `${first.path.join(".") || "(body)"}: ${first.message}` : "invalid spec";
  return new TyError(conflict ? "TY_ERR_SPEC_CONFLICT" : "TY_ERR_VALIDATION", where, issues);
}

/**
 * A preset's arms may carry their own SFT budget (demo-cpu's diverse arm: 1,000 steps). A request
 * that sets a budget key at the experiment level (`sft.maxSteps: 5`) and keeps the preset's arms
 * means it for every arm: those keys are dropped from the preset's arms, so the request's value is
 * not silently outranked by a preset default. An arm's budget in the request itself still wins.
 */
function withoutArmBudgetsSetIn(preset: ExperimentSpecInput, body: Record<string, unknown>): ExperimentSpecInput {
  const sft = body["sft"];
  if (body["arms"] !== undefined || !isPlainObject(sft)) return preset;
  const set = new Set(Object.keys(sft));
  const arms = preset.arms.map((arm) => {
    if (!("sft" in arm) || !arm.sft) return arm;
    const own = Object.fromEntries(Object.entries(arm.sft).filter(([k]) => !set.has(k)));
    const { sft: _dropped, ...rest } = arm;
    return Object.keys(own).length ? { ...rest, sft: own } : rest;
  });
  return { ...preset, arms };
}

/**
 * Turn a create-experiment body into a validated, fully expanded spec.
 * Accepts either a full spec, or `{ "preset": NAME, ...overrides }`.
 * Throws TyError (TY_ERR_VALIDATION | TY_ERR_SPEC_CONFLICT | TY_ERR_UNKNOWN_PRESET).
 */
export function expandExperimentRequest(body: unknown): ExperimentSpec {
  if (!isPlainObject(body)) {
    throw new TyError("TY_ERR_VALIDATION", "the body must be a JSON object", [
      { code: "invalid_type", path: [], message: "expected object" },
    ]);
  }
  let candidate: unknown = body;
  const preset = body["preset"];
  if (preset !== undefined && preset !== null) {
    const name = PresetName.safeParse(preset);
    if (!name.success) {
      throw new TyError(
        "TY_ERR_UNKNOWN_PRESET",
        `unknown preset ${JSON.stringify(preset).slice(0, 80)}; one of: ${PresetName.options.join(", ")}`,
        [{ code: "invalid_value", path: ["preset"], message: `one of: ${PresetName.options.join(", ")}` }],
      );
    }
    candidate = deepMerge(withoutArmBudgetsSetIn(PRESETS[name.data], body), body);
    // A custom name without other changes keeps the preset; any override is still the preset's family.
  }
  const parsed = ExperimentSpec.safeParse(candidate);
  if (!parsed.success) throw issuesToError(toApiIssues(parsed.error.issues));
  return parsed.data;
}

/** Canonical JSON (sorted keys) for hashing specs. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): Json => {
    if (Array.isArray(v)) return v.map(norm);
    if (isPlainObject(v)) {
      const out: Record<string, Json> = {};
      for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = norm(v[k]);
      return out;
    }
    return v as Json;
  };
  return JSON.stringify(norm(value));
}
