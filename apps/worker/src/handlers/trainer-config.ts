/**
 * From the experiment spec and a training job to the trainer's typed config (validated with the
 * zod mirror of the Python dataclasses before anything is launched). Every field the trainer
 * needs is sent explicitly: the model, its context length, precision and micro-batch, LoRA,
 * the evaluation sampling written into each checkpoint's generation_config.json. Settings the spec
 * cannot set come from the contracts' SERVICE_TRAINER_SETTINGS, so no trainer default ever applies
 * to a service run (docs/code-health.md#defaults): a field left out is refused, not defaulted.
 */
import { join } from "node:path";
import {
  GrpoTrainerConfig,
  OBSERVATION_MARKERS,
  SERVICE_TRAINER_SETTINGS,
  SftTrainerConfig,
  TyError,
  armSft,
  processesPerNode,
  toApiIssues,
  type ArmSpec,
  type ExperimentSpec,
} from "@trainyard/contracts";
import { requireEnv, templateFor } from "@trainyard/envs";

export interface TrainInputs {
  mode: "sft" | "grpo";
  spec: ExperimentSpec;
  arm: ArmSpec;
  seed: number;
  trainFile: string;
  outputDir: string;
  /** Checkpoint directory to warm-start from (the weights of another job). */
  initFrom: string | null;
  /** This job's own last checkpoint, on a retry: resumed exactly (optimizer, scheduler, data order). */
  resumeFrom: string | null;
  /** Optimizer steps to run; null = the spec's. */
  maxSteps: number | null;
  /** argv of the reward subprocess (`trainyard env batch`). */
  rewardCommand: string[];
}

function refuse(issues: ReturnType<typeof toApiIssues>, mode: string): never {
  const first = issues[0];
  throw new TyError(
    "TY_ERR_SPEC_CONFLICT",
    `the ${mode} trainer config is invalid: ${first ? `${first.path.join(".")}: ${first.message}` : "unknown"}`,
    issues.map((i) => ({ ...i, path: ["trainer", ...i.path] })),
  );
}

/** Every field of the trainer's config is set here: a missing one would silently take the trainer's default. */
function allExplicit(shape: object, cfg: object, mode: string): void {
  const missing = Object.keys(shape).filter((k) => !(k in cfg));
  if (missing.length) throw new TyError("TY_ERR_INTERNAL", `the ${mode} trainer config leaves out ${missing.join(", ")}`);
}

/** The model part of the trainer config. */
export function modelConfig(spec: ExperimentSpec): Record<string, unknown> {
  const m = spec.model;
  const lora = m.lora ? { rank: m.lora.rank, alpha: m.lora.alpha, dropout: m.lora.dropout, target_modules: m.lora.targetModules } : null;
  const gpus = spec.compute.resources.gpus;
  const common = { lora, device: gpus > 0 ? "cuda" : "cpu", num_threads: Math.max(1, Math.floor(spec.compute.resources.cpus)) };
  if (m.engine === "cpu-tiny") {
    return {
      ...common,
      ...SERVICE_TRAINER_SETTINGS.tiny,
      model: "tiny",
      tiny_arch: m.arch,
      tiny_tokenizer: m.tokenizer,
      // The `labels` split learns every label the environment can render, not only the arm's.
      tokenizer_texts: m.tokenizer === "labels" ? requireEnv(spec.task).tokenizerTexts() : [],
      tie_embeddings: m.tieEmbeddings,
      freeze_embeddings: m.freezeEmbeddings,
      copy_head: m.copyHead,
      copy_first_only: m.copyHead && m.copyFirstOnly,
      copy_gate_bias: m.copyHead ? m.copyGateBias : 0,
      copy_gate: m.copyHead ? m.copyGate : "hidden",
      copy_key_content: m.copyHead ? m.copyKeyContent : true,
      d_model: m.dModel,
      layers: m.layers,
      heads: m.heads,
      intermediate_size: m.intermediateSize,
      vocab_size: m.vocabSize,
      context_length: m.contextLength,
    };
  }
  return {
    ...common,
    ...SERVICE_TRAINER_SETTINGS.hf,
    model: m.id,
    model_revision: m.revision ?? "",
    context_length: m.maxModelLength,
    dtype: m.dtype,
    // A large model on GPUs trades compute for memory; a small one on CPU has no need.
    gradient_checkpointing: gpus > 0,
  };
}

export function trainerConfig(t: TrainInputs): Record<string, unknown> {
  const { spec } = t;
  const template = templateFor(spec.task);
  const common = {
    ...SERVICE_TRAINER_SETTINGS.common,
    ...modelConfig(spec),
    train_file: t.trainFile,
    output_dir: t.outputDir,
    template,
    init_from: t.initFrom ?? "",
    resume_from: t.resumeFrom ?? "",
    seed: t.seed,
    eval_temperature: spec.sampling.temperature,
    eval_top_p: spec.sampling.topP,
    eval_max_tokens: spec.sampling.maxTokens,
    // The process layout: the trainer starts processes × nodes ranks itself (docs/distributed.md).
    processes: processesPerNode(spec),
    nodes: spec.compute.nodes,
    strategy: spec.compute.strategy ?? "auto",
  };
  if (t.mode === "sft") {
    const s = armSft(spec, t.arm);
    const markers = s.observationLoss ? OBSERVATION_MARKERS[spec.task] : null;
    const cfg = {
      ...common,
      max_steps: t.maxSteps ?? s.maxSteps ?? -1,
      epochs: s.epochs,
      learning_rate: s.learningRate,
      batch_size: s.batchSize,
      micro_batch_size: s.microBatchSize,
      warmup_ratio: s.warmupRatio,
      weight_decay: s.weightDecay,
      grad_clip: s.gradClip,
      save_steps: s.saveSteps,
      observation_after: markers?.[0] ?? "",
      observation_before: markers?.[1] ?? "",
      observation_weight: s.observationWeight,
      observation_schedule: s.observationSchedule,
      position_jitter: s.positionJitter,
    };
    allExplicit(SftTrainerConfig.shape, cfg, "sft");
    const r = SftTrainerConfig.safeParse(cfg);
    if (!r.success) refuse(toApiIssues(r.error.issues), "sft");
    return r.data;
  }
  const g = spec.grpo;
  const cfg = {
    ...common,
    ...SERVICE_TRAINER_SETTINGS.grpo,
    max_steps: t.maxSteps ?? g.steps,
    learning_rate: g.learningRate,
    num_generations: g.numGenerations,
    prompts_per_batch: g.promptsPerBatch,
    mini_batch_prompts: g.miniBatchPrompts,
    micro_batch_size: g.microBatchSize,
    epsilon: g.epsilon,
    beta: g.beta,
    temperature: g.temperature,
    max_completion_length: g.maxCompletionLength,
    save_steps: g.saveSteps,
    reward_command: t.rewardCommand,
  };
  allExplicit(GrpoTrainerConfig.shape, cfg, "grpo");
  const r = GrpoTrainerConfig.safeParse(cfg);
  if (!r.success) refuse(toApiIssues(r.error.issues), "grpo");
  return r.data;
}

/** Where a job's checkpoints live inside the artifact store. */
export function checkpointKey(experimentId: string, jobName: string): string {
  return join("checkpoints", experimentId, jobName.replaceAll(":", "_"));
}
