/**
 * One source of defaults (docs/code-health.md#defaults). SPEC_DEFAULTS are what an experiment spec
 * gets for a field it leaves out (experiment.ts reads them; presets override some); the worker
 * sends the trainer the spec's values, never the trainer's own defaults. SERVICE_TRAINER_SETTINGS
 * are the trainer settings a spec cannot set: the values service runs have always used (they were
 * the trainer's defaults), sent explicitly so a change of the Python defaults (which serve
 * `trainyard train` and direct trainer runs) never changes a service run.
 */
export const SPEC_DEFAULTS = {
  sft: {
    epochs: 5,
    learningRate: 1e-5,
    batchSize: 128,
    microBatchSize: 0,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    gradClip: 1.0,
    saveSteps: 500,
    observationLoss: false,
    observationWeight: 1,
    observationSchedule: "constant",
    positionJitter: 0,
  },
  grpo: {
    numGenerations: 8,
    promptsPerBatch: 256,
    miniBatchPrompts: 256,
    microBatchSize: 0,
    learningRate: 1e-6,
    epsilon: 0.2,
    beta: 0,
    maxCompletionLength: 1024,
    temperature: 1.0,
    steps: 100,
    warmStartSteps: 10,
    saveSteps: 50,
  },
  sampling: { temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 },
} as const;

export const SERVICE_TRAINER_SETTINGS = {
  /** Both modes. */
  common: { logging_steps: 1 },
  /** Hugging Face fields a tiny model ignores, and tiny fields a Hugging Face model ignores. */
  tiny: { model_revision: "", dtype: "auto", gradient_checkpointing: false, copy_dim: 64 },
  hf: {
    tie_embeddings: true,
    tiny_arch: "llama",
    tiny_tokenizer: "lines",
    tokenizer_texts: [] as string[],
    freeze_embeddings: false,
    copy_head: false,
    copy_dim: 64,
    copy_first_only: false,
    copy_gate_bias: 0,
    copy_gate: "hidden",
    copy_key_content: true,
    d_model: 192,
    layers: 2,
    heads: 12,
    intermediate_size: 0,
    vocab_size: 2048,
  },
  /** GRPO: SFT-only fields (epochs, batch_size: max_steps is always set) and the rollout settings. */
  grpo: {
    epochs: 8.0,
    batch_size: 16,
    warmup_ratio: 0.0,
    weight_decay: 0.01,
    grad_clip: 1.0,
    scale_rewards: "group",
    top_p: 1.0,
    max_prompt_length: 0,
    use_vllm: "auto",
    vllm_mode: "colocate",
    vllm_gpu_memory_utilization: 0.3,
    vllm_server_base_url: "",
  },
} as const;
