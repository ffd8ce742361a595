/**
 * The experiment spec: what a researcher submits. Fully expanded and validated before anything is
 * stored, so every impossible combination is a 4xx naming the field, never a failed GPU job.
 */
import { SPEC_DEFAULTS } from "./defaults.js";
import { z } from "zod";
import { TaskName, TASK_SPLITS, MAX_EVAL_ITEMS, OBSERVATION_MARKERS } from "./tasks.js";
import { TyError } from "./errors.js";

const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and '-', starting with a letter or digit");

const LoraSpec = z.strictObject({
  rank: z.number().int().min(1).max(512).default(32),
  alpha: z.number().int().min(1).max(1024).default(16),
  dropout: z.number().min(0).max(0.9).default(0.05),
  targetModules: z.array(z.string().max(64)).max(32).default(["all-linear"]),
});

/** A small Llama/Qwen2 built from scratch by the trainer, with a BPE tokenizer trained on the arm's rows. */
export const CpuTinyModel = z.strictObject({
  engine: z.literal("cpu-tiny"),
  /** Hidden size / depth / attention heads of the from-scratch model. */
  dModel: z.number().int().min(16).max(1024).default(128),
  layers: z.number().int().min(1).max(12).default(2),
  heads: z.number().int().min(1).max(16).default(4),
  /** Longest prompt + completion in tokens (the model's position limit). */
  contextLength: z.number().int().min(128).max(8192).default(1536),
  /** `llama` or `qwen2` (both rotary, SwiGLU, RMSNorm). */
  arch: z.enum(["llama", "qwen2"]).default("llama"),
  /**
   * Text split before BPE merges: `lines` (short sequences), `labels` (lines, with every answer
   * label one piece, spelled alike in prompt and answer, and the tokenizer also learning every
   * vocabulary the environment can render) or `qwen` (Qwen2's word split; required by arch qwen2).
   */
  tokenizer: z.enum(["lines", "qwen", "labels"]).default("lines"),
  /**
   * Share the input embedding and the output layer. Untied, a token the training answers never
   * contain keeps its random input embedding; tied, the output layer's gradient ("never emit
   * this") moves it, and a model trained on one prompt template then breaks on prompts that show
   * such tokens (docs/demo.md).
   */
  tieEmbeddings: z.boolean().default(true),
  /** Keep the token embeddings at their random initialisation (labels never emitted in training stay copyable). */
  freezeEmbeddings: z.boolean().default(false),
  /**
   * Add a copy head (pointer-generator, arch llama): each next token is generated or copied from an
   * earlier position of the prompt, so labels no training answer contains can still be answered.
   */
  copyHead: z.boolean().default(false),
  /**
   * Copy a token only from its first mention in the prompt (copyHead): the pointer names each
   * announced label once, so a copy learned with the diverse prompts' `where` line also works on
   * prompts without it, and the other way round. Ignored without copyHead (a preset that sets it
   * can still turn the copy head off).
   */
  copyFirstOnly: z.boolean().default(false),
  /**
   * The copy head's starting gate (copyHead): σ(copyGateBias) is the initial weight of generating
   * over copying. Positive starts the model as a generator, a pretrained model's default, so it
   * copies only where generating cannot fit the data (docs/demo.md). Ignored without copyHead.
   */
  copyGateBias: z.number().min(-20).max(20).default(0),
  /**
   * What the copy head's gate reads (copyHead): `hidden`, the last hidden state (See et al.), or
   * `token`, only the current input token (one learned logit per vocabulary entry). Trained from
   * scratch, a `hidden` gate pins the answering row's hidden state to switch to copying, and the
   * copied label stops depending on the board; `token` leaves the hidden state free to carry the
   * move (docs/demo.md). Ignored without copyHead.
   */
  copyGate: z.enum(["hidden", "token"]).default("hidden"),
  /**
   * Whether the copy head's keys carry each position's hidden state besides its position
   * (copyHead). false: a key is the position alone, so the pointer is a classifier over prompt
   * positions (the k-th announced label sits at the same position in every prompt). Ignored
   * without copyHead.
   */
  copyKeyContent: z.boolean().default(true),
  /** BPE vocabulary size learned from the training rows. */
  vocabSize: z.number().int().min(300).max(65536).default(2048),
  /** SwiGLU inner size; 0 = 4 × dModel. */
  intermediateSize: z.number().int().min(0).max(16384).default(0),
  lora: LoraSpec.optional(),
});

export const HfModel = z.strictObject({
  engine: z.literal("hf"),
  /** Hugging Face model id, e.g. `Qwen/Qwen2.5-7B`. */
  id: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/, "a Hugging Face model id like `org/name`"),
  revision: z.string().max(100).optional(),
  /** Maximum prompt + completion tokens the trainer accepts and the serving engine is started with. */
  maxModelLength: z.number().int().min(256).max(131072).default(16384),
  /** `auto`: bfloat16 on GPUs, float32 on CPU. */
  dtype: z.enum(["bfloat16", "float16", "float32", "auto"]).default("bfloat16"),
  lora: LoraSpec.optional(),
});

export const ModelSpec = z.discriminatedUnion("engine", [CpuTinyModel, HfModel]);
export type ModelSpec = z.infer<typeof ModelSpec>;

export const ArmMethod = z.enum(["sft", "grpo", "sft-then-grpo"]);
export const ArmData = z.enum(["frozen", "diverse"]);
export const ArmTarget = z.enum(["answer", "cot"]);

/**
 * One arm's own SFT budget, over the experiment's `sft`: the step count, checkpoint spacing and
 * learning-rate schedule. The rest of `sft` (batch, losses, jitter) stays shared, so the arms
 * still differ only in their data and the training they were given.
 */
/** The SFT fields an arm may set for itself; `SftSpec` gives them their experiment-wide defaults. */
const SFT_BUDGET = {
  epochs: z.number().min(0.01).max(100),
  maxSteps: z.number().int().min(1).max(1_000_000),
  learningRate: z.number().positive().max(1),
  warmupRatio: z.number().min(0).max(0.5),
  saveSteps: z.number().int().min(1).max(1_000_000),
};

export const ArmSftSpec = z.strictObject({
  epochs: SFT_BUDGET.epochs.optional(),
  maxSteps: SFT_BUDGET.maxSteps.optional(),
  learningRate: SFT_BUDGET.learningRate.optional(),
  warmupRatio: SFT_BUDGET.warmupRatio.optional(),
  saveSteps: SFT_BUDGET.saveSteps.optional(),
});
export type ArmSftSpec = z.infer<typeof ArmSftSpec>;

export const ArmSpec = z.strictObject({
  /** Unique within the experiment; used in job names and the matrix rows. */
  name: Slug,
  method: ArmMethod,
  /** Prompt template: one frozen template, or diverse vocabularies / face-card rules. */
  data: ArmData,
  /** SFT targets: answer only, or chain of thought (for `sft-then-grpo`: the warm-start data). */
  target: ArmTarget,
  /** This arm's SFT budget where it differs from the experiment's `sft` (e.g. more steps for one arm). */
  sft: ArmSftSpec.optional(),
});
export type ArmSpec = z.infer<typeof ArmSpec>;

export const SftSpec = z.strictObject({
  epochs: SFT_BUDGET.epochs.default(SPEC_DEFAULTS.sft.epochs),
  /** Stop after this many optimizer steps (overrides epochs when set). */
  maxSteps: SFT_BUDGET.maxSteps.optional(),
  learningRate: SFT_BUDGET.learningRate.default(SPEC_DEFAULTS.sft.learningRate),
  /** Global batch size in sequences. */
  batchSize: z.number().int().min(1).max(4096).default(SPEC_DEFAULTS.sft.batchSize),
  /** Sequences per forward/backward on one device (gradient accumulation makes up the batch); 0 = the whole batch. */
  microBatchSize: z.number().int().min(0).max(4096).default(SPEC_DEFAULTS.sft.microBatchSize),
  warmupRatio: SFT_BUDGET.warmupRatio.default(SPEC_DEFAULTS.sft.warmupRatio),
  weightDecay: z.number().min(0).max(1).default(SPEC_DEFAULTS.sft.weightDecay),
  gradClip: z.number().positive().max(100).default(SPEC_DEFAULTS.sft.gradClip),
  /** Checkpoint every N optimizer steps (each checkpoint is evaluated). */
  saveSteps: SFT_BUDGET.saveSteps.default(SPEC_DEFAULTS.sft.saveSteps),
  /**
   * Ours, not the paper's: also train on predicting the observation's tokens (the Sokoban board),
   * an auxiliary language-model loss beside the answer's. It gives a from-scratch model a dense
   * signal about the board, so it leaves the early plateau where it only guesses the move. At full
   * weight for every step it broke the answer format in the CPU demo; `demo-cpu` sets it at weight
   * 0.2 falling to 0 (observationWeight, observationSchedule; docs/demo.md).
   * The answer's loss and every byte of the data are unchanged. Sokoban only.
   */
  observationLoss: z.boolean().default(SPEC_DEFAULTS.sft.observationLoss),
  /**
   * With observationLoss: each board token's weight in the loss against 1 for each answer token
   * (a weighted mean over the trained tokens; 1 = a plain token mean). In (0, 1].
   */
  observationWeight: z.number().gt(0).lte(1).default(SPEC_DEFAULTS.sft.observationWeight),
  /**
   * With observationLoss: `constant` keeps observationWeight for every step; `linear` lowers it to
   * 0 by the last step, so the run starts with the board's dense signal and ends answer-only.
   */
  observationSchedule: z.enum(["constant", "linear"]).default(SPEC_DEFAULTS.sft.observationSchedule),
  /**
   * Ours, not the paper's: with observationLoss, each training row's position ids jump by a random
   * whole number in [-positionJitter, positionJitter] at a random token before the board. The tokens
   * are unchanged and serving uses plain positions. Without it, a from-scratch model places its
   * answer by counting tokens from the instructions and breaks on a layout a few tokens longer or
   * shorter (the `where` line: 9 tokens). 0 = off. Sokoban only.
   */
  positionJitter: z.number().int().min(0).max(64).default(SPEC_DEFAULTS.sft.positionJitter),
});
export type SftSpec = z.infer<typeof SftSpec>;

/** The SFT settings one arm trains with: the experiment's `sft`, with the arm's own budget over it. */
export function armSft(spec: { sft: SftSpec }, arm: Pick<ArmSpec, "sft">): SftSpec {
  const own = Object.fromEntries(Object.entries(arm.sft ?? {}).filter(([, v]) => v !== undefined));
  return { ...spec.sft, ...own };
}

export const GrpoSpec = z.strictObject({
  /** G: completions sampled per prompt. */
  numGenerations: z.number().int().min(2).max(64).default(SPEC_DEFAULTS.grpo.numGenerations),
  /** Prompts per generation batch (the paper's train_batch_size). */
  promptsPerBatch: z.number().int().min(1).max(4096).default(SPEC_DEFAULTS.grpo.promptsPerBatch),
  /** Prompts per optimizer step; must divide promptsPerBatch. */
  miniBatchPrompts: z.number().int().min(1).max(4096).default(SPEC_DEFAULTS.grpo.miniBatchPrompts),
  /** Completions per forward/backward on one device; 0 = the whole mini-batch (miniBatchPrompts × numGenerations). */
  microBatchSize: z.number().int().min(0).max(65536).default(SPEC_DEFAULTS.grpo.microBatchSize),
  learningRate: z.number().positive().max(1).default(SPEC_DEFAULTS.grpo.learningRate),
  /** PPO clip ratio. */
  epsilon: z.number().min(0).max(1).default(SPEC_DEFAULTS.grpo.epsilon),
  /** KL coefficient (the paper uses 0: no reference model). */
  beta: z.number().min(0).max(10).default(SPEC_DEFAULTS.grpo.beta),
  maxCompletionLength: z.number().int().min(1).max(32768).default(SPEC_DEFAULTS.grpo.maxCompletionLength),
  temperature: z.number().min(0).max(2).default(SPEC_DEFAULTS.grpo.temperature),
  /** Optimizer steps of GRPO. */
  steps: z.number().int().min(1).max(1_000_000).default(SPEC_DEFAULTS.grpo.steps),
  /** For `sft-then-grpo`: SFT steps on the arm's data before GRPO (the paper: 10 CoT steps). */
  warmStartSteps: z.number().int().min(1).max(1_000_000).default(SPEC_DEFAULTS.grpo.warmStartSteps),
  saveSteps: z.number().int().min(1).max(1_000_000).default(SPEC_DEFAULTS.grpo.saveSteps),
});
export type GrpoSpec = z.infer<typeof GrpoSpec>;

export const SamplingSpec = z.strictObject({
  temperature: z.number().min(0).max(2).default(SPEC_DEFAULTS.sampling.temperature),
  topP: z.number().gt(0).max(1).default(SPEC_DEFAULTS.sampling.topP),
  /** Completions per item (the paper: 1). */
  n: z.number().int().min(1).max(16).default(SPEC_DEFAULTS.sampling.n),
  maxTokens: z.number().int().min(1).max(65536).default(SPEC_DEFAULTS.sampling.maxTokens),
});
export type SamplingSpec = z.infer<typeof SamplingSpec>;

export const DatasetsSpec = z.strictObject({
  train: z
    .strictObject({
      /** Sokoban: training levels (each expands to one example per state of its BFS path); GP: tasks. */
      size: z.number().int().min(1).max(1_000_000).default(1000),
      /** First generator seed (Sokoban) or task index offset (GP). */
      seedStart: z.number().int().min(0).max(4_294_967_295).default(42),
    })
    .prefault({}),
  eval: z
    .strictObject({
      /** Items per evaluation split. */
      size: z.number().int().min(1).max(10_000).default(100),
      /**
       * First evaluation seed. Default per task: Sokoban 123 (the paper's, overlapping training
       * seeds 42–1041); General Points 42 (task index 0 of the paper's fixed test sets).
       */
      seedStart: z.number().int().min(0).max(4_294_967_295).optional(),
    })
    .prefault({}),
  /** What to do with training items whose state also occurs in an evaluation split. */
  leaks: z.enum(["keep", "remove"]).default("keep"),
});

/** A Slurm partition, account or QoS name. */
export const SLURM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SlurmName = z.string().regex(SLURM_NAME, "a Slurm name: letters, digits, '.', '_' or '-', at most 64");

export const ComputeSpec = z.strictObject({
  backend: z.enum(["process", "docker", "kubernetes", "slurm"]).default("process"),
  resources: z
    .strictObject({
      gpus: z.number().int().min(0).max(64).default(0),
      cpus: z.number().min(0.5).max(512).default(1),
      memoryGiB: z.number().min(0.5).max(4096).default(4),
      /** Memory of one GPU, for the preflight estimate; omitted: the operator's node type (TRAINYARD_GPU_MEMORY_GIB, default 80). */
      gpuMemoryGiB: z.number().min(1).max(1024).optional(),
    })
    .prefault({}),
  /** Nodes of one training job (gpus, cpus and memory are per node). */
  nodes: z.number().int().min(1).max(64).default(1),
  /**
   * Training processes per node: one per GPU (omitted: gpus, or 1 without GPUs); without GPUs,
   * N CPU processes over gloo (tests and small models).
   */
  processes: z.number().int().min(1).max(64).optional(),
  /** Data parallelism over the processes: fsdp (full shard) or ddp; omitted: fsdp for full-parameter HF models on GPUs, else ddp. */
  strategy: z.enum(["fsdp", "ddp"]).optional(),
  /** Trainer image for docker/kubernetes. */
  image: z.string().max(300).optional(),
  /**
   * Slurm only: partition, account and QoS, each one the operator allows (SLURM_PARTITIONS,
   * SLURM_ACCOUNTS, SLURM_QOS); omitted, the operator's default (or the cluster's) applies.
   */
  partition: SlurmName.optional(),
  account: SlurmName.optional(),
  qos: SlurmName.optional(),
  /** Kubernetes only. */
  namespace: z.string().max(63).optional(),
  nodeSelector: z.record(z.string().max(100), z.string().max(100)).optional(),
  /** Wall-clock limit per training job, in seconds (Slurm: the job's time limit, rounded up to minutes). */
  timeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(30 * 24 * 3600)
    .default(24 * 3600),
});

export const WebhookEventType = z.enum(["eval.completed", "experiment.completed", "job.failed", "job.cancelled"]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

export const WebhookSpec = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(WebhookEventType).min(1).max(4).default(["eval.completed", "experiment.completed"]),
});

export const PresetName = z.enum(["paper-sokoban", "paper-general-points", "demo-cpu", "clean-sokoban", "repro-cpu", "demo-cpu-gp"]);
export type PresetName = z.infer<typeof PresetName>;

const ExperimentSpecBase = z.strictObject({
  name: z.string().min(1).max(120),
  /** The preset this spec was expanded from, if any (read-back only). */
  preset: PresetName.nullable().default(null),
  task: TaskName,
  model: ModelSpec,
  arms: z.array(ArmSpec).min(1).max(32),
  /** Training seeds: every arm is trained once per seed. */
  seeds: z.array(z.number().int().min(0).max(2_147_483_647)).min(1).max(16).default([0]),
  datasets: DatasetsSpec.prefault({}),
  /** Evaluation splits (see tasks.ts for the names per task). */
  splits: z.array(z.string().max(32)).min(1).max(16),
  sampling: SamplingSpec.prefault({}),
  sft: SftSpec.prefault({}),
  grpo: GrpoSpec.prefault({}),
  /** GP verifier: `paper` (float equality, as the reference) or `exact` (rationals). */
  scoring: z.enum(["paper", "exact"]).default("paper"),
  compute: ComputeSpec.prefault({}),
  webhooks: z.array(WebhookSpec).max(10).default([]),
});

/** Longest prompt of each task in tokens, bounded by its bytes (Sokoban 10×10 ≈ 1.1k): a conservative check for any BPE. */
const MAX_PROMPT_BYTES: Record<TaskName, number> = { sokoban: 1200, "general-points": 1100 };

export const ExperimentSpec = ExperimentSpecBase.superRefine((s, ctx) => {
  const conflict = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message, params: { tyCode: "TY_ERR_SPEC_CONFLICT" } });

  const allowed = TASK_SPLITS[s.task];
  const seen = new Set<string>();
  s.splits.forEach((split, i) => {
    if (!allowed.includes(split)) {
      conflict(["splits", i], `unknown split '${split}' for task ${s.task}; one of: ${allowed.join(", ")}`);
    }
    if (seen.has(split)) conflict(["splits", i], `split '${split}' listed twice`);
    seen.add(split);
  });

  const names = new Set<string>();
  s.arms.forEach((arm, i) => {
    if (names.has(arm.name)) conflict(["arms", i, "name"], `arm name '${arm.name}' is used twice`);
    names.add(arm.name);
  });
  if (new Set(s.seeds).size !== s.seeds.length) conflict(["seeds"], "seeds must be distinct");

  if (s.datasets.eval.size > MAX_EVAL_ITEMS[s.task]) {
    conflict(["datasets", "eval", "size"], `${s.task} has at most ${MAX_EVAL_ITEMS[s.task]} items per split`);
  }
  if (s.datasets.train.seedStart + s.datasets.train.size > 4_294_967_296) {
    conflict(["datasets", "train", "size"], "seedStart + size must stay below 2^32");
  }

  const gpus = s.compute.resources.gpus;
  if (s.model.engine === "cpu-tiny") {
    const need = MAX_PROMPT_BYTES[s.task] + s.sampling.maxTokens;
    if (need > s.model.contextLength) {
      conflict(
        ["sampling", "maxTokens"],
        `prompt (up to ${MAX_PROMPT_BYTES[s.task]} tokens) + maxTokens (${s.sampling.maxTokens}) exceeds model.contextLength (${s.model.contextLength}); lower maxTokens or raise contextLength`,
      );
    }
    if (s.model.dModel % s.model.heads !== 0) conflict(["model", "heads"], "dModel must be divisible by heads");
    // Rotary position embeddings rotate pairs of dimensions: each head needs an even width.
    else if ((s.model.dModel / s.model.heads) % 2 !== 0) conflict(["model", "heads"], "dModel / heads must be even (rotary embeddings)");
    if (s.model.copyHead && s.model.arch !== "llama") {
      conflict(["model", "copyHead"], "copyHead is built on the llama tiny model: set arch llama");
    }
    if (s.model.arch === "qwen2" && s.model.tokenizer !== "qwen") {
      conflict(["model", "tokenizer"], "arch qwen2 needs tokenizer qwen: AutoTokenizer rebuilds every Qwen2 tokenizer with Qwen's split");
    }
  } else {
    // gpus 0 is allowed: the trainer runs a (small) Hugging Face model on the CPU in float32.
    if (gpus === 0 && (s.model.dtype === "bfloat16" || s.model.dtype === "float16")) {
      conflict(["model", "dtype"], "bfloat16 and float16 need GPUs: set gpus >= 1, or dtype auto/float32 to train on CPU");
    }
    if (s.compute.backend === "process" && gpus > 8) {
      conflict(["compute", "backend"], "the process backend runs on one machine (at most 8 GPUs); use kubernetes");
    }
    const need = MAX_PROMPT_BYTES[s.task] + s.sampling.maxTokens;
    if (need > s.model.maxModelLength) {
      conflict(["sampling", "maxTokens"], `prompt + maxTokens (${need}) exceeds model.maxModelLength (${s.model.maxModelLength})`);
    }
  }

  if (s.sft.microBatchSize && s.sft.batchSize % s.sft.microBatchSize !== 0) {
    conflict(["sft", "microBatchSize"], "microBatchSize must divide batchSize");
  }
  if (s.sft.observationLoss && !OBSERVATION_MARKERS[s.task]) {
    conflict(["sft", "observationLoss"], `${s.task} prompts mark no observation to train on: observationLoss is for sokoban`);
  }
  if (s.sft.observationSchedule !== "constant" && !s.sft.observationLoss) {
    conflict(["sft", "observationSchedule"], "observationSchedule schedules the observation loss: set observationLoss: true too");
  }
  if (s.sft.observationWeight !== 1 && !s.sft.observationLoss) {
    conflict(["sft", "observationWeight"], "observationWeight weighs the observation loss: set observationLoss: true too");
  }
  if (s.sft.positionJitter !== 0 && !s.sft.observationLoss) {
    conflict(
      ["sft", "positionJitter"],
      "positionJitter places its jump before the board the observation loss marks: set observationLoss: true too",
    );
  }
  const usesGrpo = s.arms.some((a) => a.method !== "sft");
  if (usesGrpo) {
    if (s.grpo.promptsPerBatch % s.grpo.miniBatchPrompts !== 0) {
      conflict(["grpo", "miniBatchPrompts"], "miniBatchPrompts must divide promptsPerBatch");
    }
    if (s.grpo.microBatchSize && (s.grpo.miniBatchPrompts * s.grpo.numGenerations) % s.grpo.microBatchSize !== 0) {
      conflict(["grpo", "microBatchSize"], "microBatchSize must divide miniBatchPrompts × numGenerations");
    }
    if (s.model.engine === "hf" && s.grpo.maxCompletionLength + MAX_PROMPT_BYTES[s.task] > s.model.maxModelLength) {
      conflict(["grpo", "maxCompletionLength"], "prompt + maxCompletionLength exceeds model.maxModelLength");
    }
    if (s.model.engine === "cpu-tiny" && s.grpo.maxCompletionLength + MAX_PROMPT_BYTES[s.task] > s.model.contextLength) {
      conflict(["grpo", "maxCompletionLength"], "prompt + maxCompletionLength exceeds model.contextLength");
    }
  }
  const c = s.compute;
  if (c.processes !== undefined && gpus > 0 && c.processes !== gpus) {
    conflict(["compute", "processes"], `one process per GPU: processes (${c.processes}) must equal resources.gpus (${gpus}) or be omitted`);
  }
  if (c.nodes > 1 && (c.backend === "process" || c.backend === "docker")) {
    conflict(["compute", "nodes"], `the ${c.backend} backend runs on one machine: nodes must be 1 (use slurm or kubernetes)`);
  }
  if (c.strategy === "fsdp" && gpus === 0) {
    conflict(["compute", "strategy"], "fsdp needs GPUs (accelerate has no CPU FSDP): use ddp or omit it");
  }
  if (c.strategy === "fsdp" && s.model.lora) {
    conflict(["compute", "strategy"], "fsdp shards full-parameter runs; LoRA trains with ddp (omit strategy)");
  }
  if (s.compute.backend === "process" && s.compute.image) {
    conflict(["compute", "image"], "the process backend runs no image; remove it or use docker/kubernetes");
  }
  for (const field of ["partition", "account", "qos"] as const) {
    if (s.compute[field] !== undefined && s.compute.backend !== "slurm")
      conflict(["compute", field], `${field} is a Slurm setting; use backend slurm or remove it`);
  }
  for (const field of ["namespace", "nodeSelector"] as const) {
    if (s.compute[field] !== undefined && s.compute.backend === "slurm")
      conflict(["compute", field], `${field} is a Kubernetes setting; on Slurm name a partition (and account, qos) instead`);
  }
}).transform((s) => ({
  ...s,
  datasets: { ...s.datasets, eval: { ...s.datasets.eval, seedStart: s.datasets.eval.seedStart ?? (s.task === "sokoban" ? 123 : 42) } },
}));
export type ExperimentSpec = z.infer<typeof ExperimentSpec>;

/**
 * A spec read back from storage, parsed again rather than cast: a row written before a field
 * existed gets that field's default, and a row that no longer satisfies the schema fails here,
 * naming the field, instead of deep inside a job or the matrix.
 */
export function parseStoredSpec(stored: unknown): ExperimentSpec {
  const r = ExperimentSpec.safeParse(stored);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const at = first ? first.path.join(".") || "(root)" : "(root)";
  throw new TyError("TY_ERR_INTERNAL", `stored experiment spec no longer parses at ${at}: ${first?.message ?? "invalid"}`);
}
/** What a client may send for a spec (defaults not yet applied). */
export type ExperimentSpecInput = z.input<typeof ExperimentSpec>;
