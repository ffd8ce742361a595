/**
 * Trainer configuration: the JSON a job hands to `python -m trainyard_trainer <mode> --config FILE`.
 *
 * Mirror of the Python dataclasses in infra/trainer/trainyard_trainer/config.py (SftConfig,
 * GrpoConfig, ServeConfig), snake_case so the JSON is the same on both sides. trainer-config.test.ts
 * compares them field by field (names, types, defaults) through `python -m trainyard_trainer.schema`.
 * The cross-field checks below repeat the dataclasses' `__post_init__` so the API can answer a 4xx
 * before any compute is spent; the trainer checks again (and also that files exist).
 */
import { z } from "zod";

export const TrainerLoraConfig = z.strictObject({
  /** LoRA rank r. */
  rank: z.number().int().min(1).max(512).default(32),
  /** LoRA alpha (scaling = alpha / rank). */
  alpha: z.number().int().min(1).max(4096).default(16),
  dropout: z.number().min(0).lt(1).default(0.05),
  /** `all-linear` = every linear layer but the head. */
  target_modules: z.array(z.string().min(1).max(64)).min(1).max(64).default(["all-linear"]),
});
export type TrainerLoraConfig = z.infer<typeof TrainerLoraConfig>;

const TRAIN_COMMON = {
  /** `tiny` (built from scratch with a BPE tokenizer trained on train_file), a model directory, or a Hugging Face model id. */
  model: z.string().min(1).max(4096).default("tiny"),
  /** Hugging Face model ids: branch, tag or commit (empty = the default branch). */
  model_revision: z.string().max(200).default(""),
  /** Training data, JSONL (infra/trainer/PROTOCOL.md, Dataset format). Required. */
  train_file: z.string().max(4096).default(""),
  /** Checkpoints go to `<output_dir>/checkpoint-<step>`. */
  output_dir: z.string().min(1).max(4096).default("trainer_output"),
  /** `raw`: strings used as-is (Sokoban); `chat`: message lists + the tokenizer's chat template (General Points). */
  template: z.enum(["raw", "chat"]).default("raw"),
  /** Checkpoint directory to warm-start from (weights only; full or LoRA adapter). */
  init_from: z.string().max(4096).default(""),
  /** Checkpoint directory of this same run to resume exactly (optimizer, scheduler, RNG, data order). */
  resume_from: z.string().max(4096).default(""),
  seed: z.number().int().default(0),
  /** Optimizer steps; -1 = derive from epochs. */
  max_steps: z.number().int().min(-1).default(-1),
  epochs: z.number().min(0).default(8.0),
  learning_rate: z.number().positive().default(3e-3),
  /** SFT: sequences per optimizer step (global). */
  batch_size: z.number().int().min(1).default(16),
  /** Sequences per forward/backward on one device; 0 = the whole optimizer batch. */
  micro_batch_size: z.number().int().min(0).default(0),
  warmup_ratio: z.number().min(0).lt(1).default(0.05),
  weight_decay: z.number().min(0).default(0.01),
  /** Global gradient-norm clip; 0 = off. */
  grad_clip: z.number().min(0).default(1.0),
  /** Checkpoint every N optimizer steps (0 = only at the end). */
  save_steps: z.number().int().min(0).default(500),
  logging_steps: z.number().int().min(1).default(1),
  /** Longest prompt + completion, in tokens; longer rows are an error. */
  context_length: z.number().int().min(8).default(1536),
  /** tiny: architecture, text split before BPE, shape, vocabulary. */
  tiny_arch: z.enum(["llama", "qwen2"]).default("llama"),
  tiny_tokenizer: z.enum(["lines", "qwen", "labels"]).default("lines"),
  /** tiny: extra text the BPE tokenizer learns from (every vocabulary the environment can render). */
  tokenizer_texts: z.array(z.string()).default([]),
  d_model: z.number().int().min(1).default(192),
  layers: z.number().int().min(1).default(2),
  heads: z.number().int().min(1).default(12),
  /** tiny: SwiGLU inner size; 0 = 4 × d_model. */
  intermediate_size: z.number().int().min(0).default(0),
  vocab_size: z.number().int().min(300).default(2048),
  tie_embeddings: z.boolean().default(true),
  /** Keep the token embeddings (and a tied head) at their initial values. */
  freeze_embeddings: z.boolean().default(false),
  /** tiny (llama): a copy head (pointer-generator) beside the output layer, and its query/key size. */
  copy_head: z.boolean().default(false),
  copy_dim: z.number().int().min(1).default(64),
  /** tiny copy_head: copy a token only from its first mention. */
  copy_first_only: z.boolean().default(false),
  /** tiny copy_head: the gate's initial bias (σ of it = the starting weight of generating). */
  copy_gate_bias: z.number().finite().default(0),
  /** tiny copy_head: what the gate reads — the last hidden state, or only the current input token. */
  copy_gate: z.enum(["hidden", "token"]).default("hidden"),
  /** tiny copy_head: keys carry the position's hidden state too (false: the position alone). */
  copy_key_content: z.boolean().default(true),
  num_threads: z.number().int().min(1).default(1),
  /** `auto`: CUDA when a GPU is visible, else CPU. */
  device: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  /** `auto`: bfloat16 on GPU, float32 on CPU. */
  dtype: z.enum(["auto", "bfloat16", "float16", "float32"]).default("auto"),
  gradient_checkpointing: z.boolean().default(false),
  /** LoRA adapter through PEFT (null = full fine-tuning). */
  lora: TrainerLoraConfig.nullable().default(null),
  /** Training processes per node (one per GPU; on CPU, gloo ranks); > 1 or nodes > 1: the trainer launches the ranks. */
  processes: z.number().int().min(1).default(1),
  /** Nodes of a multi-node run (rendezvous from MASTER_ADDR/NODE_RANK or the Slurm allocation). */
  nodes: z.number().int().min(1).default(1),
  /** `fsdp` (full shard) or `ddp`; `auto` = fsdp for full-parameter non-tiny runs on GPUs, else ddp. */
  strategy: z.enum(["auto", "ddp", "fsdp"]).default("auto"),
  /** Sampling defaults written to each checkpoint's generation_config.json. */
  eval_temperature: z.number().min(0).default(0.5),
  eval_top_p: z.number().gt(0).max(1).default(1.0),
  eval_max_tokens: z.number().int().min(1).default(256),
};

type Ctx = z.core.$RefinementCtx;
const conflict = (ctx: Ctx, path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });

function checkCommon(
  c: {
    init_from: string;
    resume_from: string;
    d_model: number;
    heads: number;
    tiny_arch: string;
    tiny_tokenizer: string;
    copy_head: boolean;
    copy_first_only: boolean;
    copy_gate_bias: number;
    copy_gate: "hidden" | "token";
    copy_key_content: boolean;
    strategy: string;
    lora: TrainerLoraConfig | null;
  },
  ctx: Ctx,
): void {
  if (c.strategy === "fsdp" && c.lora !== null)
    conflict(ctx, "strategy", "strategy fsdp shards full-parameter runs: use ddp (or auto) with lora");
  // Rotary embeddings rotate pairs of dimensions: the head size must be even.
  if (c.d_model % c.heads !== 0 || (c.d_model / c.heads) % 2 !== 0) {
    conflict(ctx, "heads", "d_model must be divisible by heads, with an even head size");
  }
  if (c.copy_head && c.tiny_arch !== "llama") {
    conflict(ctx, "copy_head", "copy_head is built on the llama tiny model: set tiny_arch llama");
  }
  if (c.copy_first_only && !c.copy_head) {
    conflict(ctx, "copy_first_only", "copy_first_only shapes the copy head: set copy_head true");
  }
  if (c.copy_gate_bias !== 0 && !c.copy_head) {
    conflict(ctx, "copy_gate_bias", "copy_gate_bias shapes the copy head: set copy_head true");
  }
  if (!c.copy_key_content && !c.copy_head) {
    conflict(ctx, "copy_key_content", "copy_key_content shapes the copy head: set copy_head true");
  }
  if (c.copy_gate !== "hidden" && !c.copy_head) {
    conflict(ctx, "copy_gate", "copy_gate shapes the copy head: set copy_head true");
  }
  if (c.tiny_arch === "qwen2" && c.tiny_tokenizer !== "qwen") {
    conflict(ctx, "tiny_tokenizer", "tiny_arch qwen2 needs tiny_tokenizer qwen (AutoTokenizer rebuilds Qwen2 tokenizers)");
  }
}

export const SftTrainerConfig = z
  .strictObject({
    ...TRAIN_COMMON,
    /** With observation_before: also train on the prompt tokens between the two markers (the observation). */
    observation_after: z.string().max(200).default(""),
    observation_before: z.string().max(200).default(""),
    /** Each observation token's weight in the loss against 1 for each completion token. */
    observation_weight: z.number().gt(0).lte(1).default(1),
    /** constant, or linear: the observation's weight falls to 0 by the last step. */
    observation_schedule: z.enum(["constant", "linear"]).default("constant"),
    /** Training position ids jump by a random amount in [-n, n] before the observation; 0 = off. */
    position_jitter: z.number().int().min(0).max(64).default(0),
  })
  .superRefine((c, ctx) => {
    checkCommon(c, ctx);
    if (c.micro_batch_size && c.batch_size % c.micro_batch_size !== 0) {
      conflict(ctx, "micro_batch_size", "micro_batch_size must divide batch_size");
    }
    if (!c.observation_after !== !c.observation_before) {
      conflict(ctx, "observation_after", "observation_after and observation_before come together: set both markers, or neither");
    }
    if (c.observation_after && c.template !== "raw") {
      conflict(ctx, "observation_after", "observation_after marks the observation in a raw prompt: use template raw");
    }
    if (c.observation_schedule !== "constant" && !c.observation_after) {
      conflict(
        ctx,
        "observation_schedule",
        "observation_schedule schedules the observation loss: set observation_after and observation_before too",
      );
    }
    if (c.observation_weight !== 1 && !c.observation_after) {
      conflict(
        ctx,
        "observation_weight",
        "observation_weight weighs the observation loss: set observation_after and observation_before too",
      );
    }
    if (c.position_jitter !== 0 && !c.observation_after) {
      conflict(
        ctx,
        "position_jitter",
        "position_jitter places its jump before the observation: set observation_after and observation_before too",
      );
    }
  });
export type SftTrainerConfig = z.infer<typeof SftTrainerConfig>;

export const GrpoTrainerConfig = z
  .strictObject({
    ...TRAIN_COMMON,
    learning_rate: z.number().positive().default(1e-3),
    warmup_ratio: z.number().min(0).lt(1).default(0.0),
    max_steps: z.number().int().min(-1).default(20),
    save_steps: z.number().int().min(0).default(10),
    /** G: completions per prompt. */
    num_generations: z.number().int().min(2).default(8),
    /** Prompts per generation batch (the paper: 256). */
    prompts_per_batch: z.number().int().min(1).default(16),
    /** Prompts per optimizer step; must divide prompts_per_batch. */
    mini_batch_prompts: z.number().int().min(1).default(16),
    /** PPO clip range. */
    epsilon: z.number().min(0).lt(1).default(0.2),
    /** KL coefficient; 0 = no reference model (the paper). */
    beta: z.number().min(0).default(0.0),
    scale_rewards: z.enum(["group", "batch", "none"]).default("group"),
    temperature: z.number().positive().default(1.0),
    top_p: z.number().gt(0).max(1).default(1.0),
    /** Longest prompt in tokens; 0 = context_length − max_completion_length. */
    max_prompt_length: z.number().int().min(0).default(0),
    max_completion_length: z.number().int().min(1).default(32),
    /** argv of the `env batch` reward subprocess; empty = node + the bundled CLI. */
    reward_command: z.array(z.string().min(1)).default([]),
    /** `auto`: vLLM rollouts where CUDA and vllm exist, else transformers; `off`: always transformers. */
    use_vllm: z.enum(["auto", "off"]).default("auto"),
    vllm_mode: z.enum(["colocate", "server"]).default("colocate"),
    vllm_gpu_memory_utilization: z.number().gt(0).max(1).default(0.3),
    vllm_server_base_url: z.string().max(2000).default(""),
  })
  .superRefine((c, ctx) => {
    checkCommon(c, ctx);
    if (c.prompts_per_batch % c.mini_batch_prompts !== 0) {
      conflict(ctx, "mini_batch_prompts", "mini_batch_prompts must divide prompts_per_batch");
    }
    if (c.micro_batch_size && (c.mini_batch_prompts * c.num_generations) % c.micro_batch_size !== 0) {
      conflict(ctx, "micro_batch_size", "micro_batch_size must divide mini_batch_prompts × num_generations");
    }
    if (c.max_completion_length >= c.context_length) {
      conflict(ctx, "max_completion_length", "max_completion_length leaves no room for a prompt in context_length");
    } else if (c.max_prompt_length + c.max_completion_length > c.context_length) {
      conflict(ctx, "max_completion_length", "max_prompt_length + max_completion_length exceeds context_length");
    }
    if (c.vllm_mode === "server" && c.use_vllm !== "off" && !c.vllm_server_base_url) {
      conflict(ctx, "vllm_server_base_url", "vllm_mode server needs vllm_server_base_url");
    }
  });
export type GrpoTrainerConfig = z.infer<typeof GrpoTrainerConfig>;

export const ServeTrainerConfig = z.strictObject({
  /** Checkpoint directory (full or LoRA adapter), or a Hugging Face model id. Required. */
  checkpoint: z.string().max(4096).default(""),
  /** Model name clients send; empty = `<run dir>/<checkpoint dir>`. */
  served_model_name: z.string().max(300).default(""),
  /** Interface to bind (0.0.0.0 inside containers and on cluster nodes). */
  host: z.string().min(1).max(255).default("127.0.0.1"),
  /** Host named in the `serving` URL; empty = host, or this machine's address for 0.0.0.0. */
  advertise_host: z.string().max(255).default(""),
  /** 0 = a free port, reported in the `serving` status event. */
  port: z.number().int().min(0).max(65535).default(0),
  /** `auto`: `vllm serve` where CUDA and vLLM exist, else the built-in transformers server. */
  backend: z.enum(["auto", "transformers", "vllm"]).default("auto"),
  max_batch_size: z.number().int().min(1).default(16),
  /** Batching window after the first queued request, in milliseconds. */
  batch_wait_ms: z.number().min(0).default(5.0),
  /** Prompts whose prefill the transformers server keeps for reuse (0: off). */
  prompt_cache_size: z.number().int().min(0).default(64),
  default_max_tokens: z.number().int().min(1).default(256),
  num_threads: z.number().int().min(1).default(1),
  device: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  dtype: z.enum(["auto", "bfloat16", "float16", "float32"]).default("auto"),
  /** LoRA adapters: the base model when the adapter's own is not reachable. */
  base_model: z.string().max(4096).default(""),
  /** Longest prompt + completion (0 = the model's max_position_embeddings). */
  max_model_len: z.number().int().min(0).default(0),
  gpu_memory_utilization: z.number().gt(0).max(1).default(0.9),
  seed: z.number().int().default(0),
});
export type ServeTrainerConfig = z.infer<typeof ServeTrainerConfig>;
