/**
 * Preflight: per-GPU memory of a spec's training jobs, estimated from the model's shape before
 * anything is queued (docs/distributed.md derives each term and checks it against published
 * figures). Deliberately simple and a little pessimistic: it refuses what cannot fit, it does
 * not promise that what passes never runs out of memory.
 */
import type { ExperimentSpec } from "./experiment.js";
import { TyError } from "./errors.js";

/** What the estimate needs of a transformer (a Hugging Face config's fields). */
export interface ModelShape {
  params: number;
  hidden: number;
  layers: number;
  intermediate: number;
  vocab: number;
}

/** Published configs (config.json on the Hub) of the models the presets and docs name. */
export const KNOWN_MODELS: Record<string, ModelShape> = {
  "Qwen/Qwen2.5-0.5B": { params: 0.494e9, hidden: 896, layers: 24, intermediate: 4864, vocab: 151936 },
  "Qwen/Qwen2.5-1.5B": { params: 1.544e9, hidden: 1536, layers: 28, intermediate: 8960, vocab: 151936 },
  "Qwen/Qwen2.5-3B": { params: 3.086e9, hidden: 2048, layers: 36, intermediate: 11008, vocab: 151936 },
  "Qwen/Qwen2.5-7B": { params: 7.616e9, hidden: 3584, layers: 28, intermediate: 18944, vocab: 152064 },
  "Qwen/Qwen2.5-14B": { params: 14.77e9, hidden: 5120, layers: 48, intermediate: 13824, vocab: 152064 },
  "meta-llama/Llama-3.1-8B": { params: 8.03e9, hidden: 4096, layers: 32, intermediate: 14336, vocab: 128256 },
};

export function modelShape(spec: ExperimentSpec): ModelShape | null {
  const m = spec.model;
  if (m.engine === "cpu-tiny") {
    const inter = m.intermediateSize || 4 * m.dModel;
    // Embedding (tied with the head) + per block: attention 4·d² + SwiGLU 3·d·inter + 2 norms.
    const params = m.vocabSize * m.dModel + m.layers * (4 * m.dModel * m.dModel + 3 * m.dModel * inter + 2 * m.dModel) + m.dModel;
    return { params, hidden: m.dModel, layers: m.layers, intermediate: inter, vocab: m.vocabSize };
  }
  return KNOWN_MODELS[m.id.replace(/-Instruct$/, "")] ?? null;
}

/** Longest prompt of each task in tokens (a byte bound; as experiment.ts checks). */
const PROMPT_TOKENS = { sokoban: 1200, "general-points": 1100 } as const;
/** Longest SFT target in tokens: an answer tag, or a chain of thought (the datasets' bound). */
const SFT_TARGET_TOKENS = { answer: 64, cot: 1024 } as const;

const GiB = 1024 ** 3;
/** CUDA context, NCCL buffers and allocator fragmentation, per GPU. */
const OVERHEAD_BYTES = 2.5 * GiB;

export type Strategy = "fsdp" | "ddp";

export interface JobEstimate {
  job: "sft" | "grpo";
  strategy: Strategy;
  /** Processes over all nodes (one per GPU). */
  worldSize: number;
  seqLen: number;
  microBatch: number;
  /** GiB per GPU, by term. */
  breakdown: { weights: number; gradients: number; optimizer: number; activations: number; logits: number; overhead: number };
  totalGiB: number;
}

export interface MemoryEstimate {
  model: string;
  params: number;
  gpuMemoryGiB: number;
  /** The largest job's per-GPU total. */
  perGpuGiB: number;
  fits: boolean;
  jobs: JobEstimate[];
}

export function processesPerNode(spec: ExperimentSpec): number {
  return spec.compute.processes ?? Math.max(1, spec.compute.resources.gpus);
}

export function strategyOf(spec: ExperimentSpec): Strategy {
  const world = processesPerNode(spec) * spec.compute.nodes;
  if (world === 1) return "ddp"; // one process: the trainer shards nothing (the DDP terms without buckets)
  if (spec.compute.strategy) return spec.compute.strategy;
  return spec.model.engine === "hf" && !spec.model.lora && spec.compute.resources.gpus > 0 && world > 1 ? "fsdp" : "ddp";
}

const round = (x: number) => Math.round(x * 10) / 10;

function estimateJob(job: "sft" | "grpo", spec: ExperimentSpec, shape: ModelShape): JobEstimate {
  const world = processesPerNode(spec) * spec.compute.nodes;
  const strategy = strategyOf(spec);
  const P = shape.params;
  const lora = spec.model.lora;
  const gpu = spec.compute.resources.gpus > 0;
  const half = spec.model.engine === "hf" && gpu && spec.model.dtype !== "float32";
  let weights: number, gradients: number, optimizer: number;
  if (lora) {
    // Frozen base in the training dtype; adapters (r·(in+out) per linear, ~7 per block) in float32 with AdamW.
    const adapter = shape.layers * 7 * lora.rank * (shape.hidden + shape.intermediate);
    weights = P * (half ? 2 : 4) + adapter * 4;
    gradients = adapter * 4;
    optimizer = adapter * 8;
  } else if (strategy === "fsdp") {
    // float32 master weights, gradients and AdamW moments, each sharded over the ranks (16 bytes a
    // parameter, as ZeRO-3), plus the bf16 copies of the two blocks being gathered at a time.
    const block = (P - shape.vocab * shape.hidden) / shape.layers;
    weights = (4 * P) / world + 2 * 2 * block;
    gradients = (4 * P) / world;
    optimizer = (8 * P) / world;
  } else {
    // DDP keeps everything on every rank: weights, gradients and both AdamW moments in the
    // training dtype (bf16 on GPUs: 8 bytes a parameter; float32: 16), plus DDP's gradient buckets.
    const b = half ? 2 : 4;
    weights = P * b;
    gradients = P * b * (world > 1 ? 2 : 1);
    optimizer = P * b * 2;
  }
  const prompt = PROMPT_TOKENS[spec.task];
  const limit = spec.model.engine === "hf" ? spec.model.maxModelLength : spec.model.contextLength;
  const cot = spec.arms.some((a) => a.target === "cot");
  const completion = job === "sft" ? SFT_TARGET_TOKENS[cot ? "cot" : "answer"] : spec.grpo.maxCompletionLength;
  const seqLen = Math.min(limit, prompt + completion);
  const micro =
    job === "sft"
      ? spec.sft.microBatchSize || Math.max(1, Math.floor(spec.sft.batchSize / world))
      : spec.grpo.microBatchSize || Math.max(1, Math.floor((spec.grpo.miniBatchPrompts * spec.grpo.numGenerations) / world));
  const tokens = seqLen * micro;
  const act = half ? 2 : 4;
  // Activation checkpointing on GPUs keeps each block's input (h per token) and recomputes one
  // block at a time (~34·h per token with SDPA attention, after Korthikanti et al. 2022); without
  // it (CPU) every block's ~34·h stays.
  const perBlock = tokens * shape.hidden * act * (17 + (shape.intermediate / shape.hidden) * 2.5);
  const activations = gpu ? tokens * shape.hidden * act * shape.layers + perBlock : perBlock * shape.layers;
  // The head's logits for the trained tokens (GRPO: the completion only) and their gradient.
  const logitTokens = job === "sft" ? tokens : completion * micro;
  const logits = logitTokens * shape.vocab * act * 2;
  const overhead = gpu ? OVERHEAD_BYTES : 0;
  const breakdown = { weights, gradients, optimizer, activations, logits, overhead };
  const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    job,
    strategy,
    worldSize: world,
    seqLen,
    microBatch: micro,
    breakdown: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, round(v / GiB)])) as JobEstimate["breakdown"],
    totalGiB: round(total / GiB),
  };
}

/** The estimate of every training job the spec runs; null for a model whose shape is unknown. */
export function estimateMemory(spec: ExperimentSpec, defaultGpuMemoryGiB = 80): MemoryEstimate | null {
  const shape = modelShape(spec);
  if (!shape) return null;
  const jobs: JobEstimate[] = [];
  if (spec.arms.some((a) => a.method !== "grpo")) jobs.push(estimateJob("sft", spec, shape));
  if (spec.arms.some((a) => a.method !== "sft")) jobs.push(estimateJob("grpo", spec, shape));
  const perGpuGiB = Math.max(...jobs.map((j) => j.totalGiB));
  const gpuMemoryGiB = spec.compute.resources.gpuMemoryGiB ?? defaultGpuMemoryGiB;
  return {
    model: spec.model.engine === "hf" ? spec.model.id : "tiny",
    params: Math.round(shape.params),
    gpuMemoryGiB,
    perGpuGiB,
    fits: spec.compute.resources.gpus === 0 || perGpuGiB <= gpuMemoryGiB,
    jobs,
  };
}

/** Refuse (TY_ERR_SPEC_MEMORY, naming compute.resources.gpuMemoryGiB and the estimate) what cannot fit. */
export function preflightMemory(spec: ExperimentSpec, defaultGpuMemoryGiB = 80): MemoryEstimate | null {
  const est = estimateMemory(spec, defaultGpuMemoryGiB);
  if (!est || est.fits) return est;
  const worst = est.jobs.reduce((a, b) => (b.totalGiB > a.totalGiB ? b : a));
  const b = worst.breakdown;
  throw new TyError(
    "TY_ERR_SPEC_MEMORY",
    `compute.resources.gpuMemoryGiB: the ${worst.job} job needs about ${worst.totalGiB} GiB per GPU ` +
      `(${worst.strategy} over ${worst.worldSize} GPU(s), ${worst.seqLen} tokens × micro-batch ${worst.microBatch}: ` +
      `weights ${b.weights}, gradients ${b.gradients}, optimizer ${b.optimizer}, activations ${b.activations}, logits ${b.logits}, overhead ${b.overhead}) ` +
      `but a GPU has ${est.gpuMemoryGiB} GiB: add GPUs (resources.gpus, nodes), use strategy fsdp, LoRA, or a smaller micro-batch`,
    [
      {
        code: "custom",
        path: ["compute", "resources", "gpuMemoryGiB"],
        message: `estimated ${worst.totalGiB} GiB per GPU > ${est.gpuMemoryGiB} GiB`,
      },
    ],
  );
}
