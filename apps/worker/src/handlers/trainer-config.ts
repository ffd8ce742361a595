/**
 * From the experiment spec and a training job to the trainer's typed config (validated with the
 * zod mirror of the Python dataclasses before anything is launched).
 */
import { join } from "node:path";
import { GrpoTrainerConfig, SftTrainerConfig, TyError, toApiIssues, type ArmSpec, type ExperimentSpec } from "@trainyard/contracts";

export interface TrainInputs {
  mode: "sft" | "grpo";
  spec: ExperimentSpec;
  arm: ArmSpec;
  seed: number;
  trainFile: string;
  outputDir: string;
  /** Checkpoint directory to start from (warm start, or this job's own last checkpoint on retry). */
  initFrom: string | null;
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

export function trainerConfig(t: TrainInputs): Record<string, unknown> {
  const { spec, arm } = t;
  const m = spec.model;
  const template = spec.task === "sokoban" ? "raw" : "chat";
  const model =
    m.engine === "cpu-tiny"
      ? { engine: "cpu", d_model: m.dModel, layers: m.layers, heads: m.heads, context_length: m.contextLength }
      : {
          engine: "hf",
          model_id: m.id,
          ...(m.lora
            ? { lora: { rank: m.lora.rank, alpha: m.lora.alpha, dropout: m.lora.dropout, target_modules: m.lora.targetModules } }
            : {}),
        };
  const common = {
    ...model,
    train_file: t.trainFile,
    output_dir: t.outputDir,
    template,
    init_from: t.initFrom ?? "",
    seed: t.seed,
  };
  if (t.mode === "sft") {
    const s = spec.sft;
    const cfg = {
      ...common,
      max_steps: t.maxSteps ?? s.maxSteps ?? -1,
      epochs: s.epochs,
      learning_rate: s.learningRate,
      batch_size: s.batchSize,
      warmup_ratio: s.warmupRatio,
      weight_decay: s.weightDecay,
      grad_clip: s.gradClip,
      save_steps: s.saveSteps,
    };
    const r = SftTrainerConfig.safeParse(cfg);
    if (!r.success) refuse(toApiIssues(r.error.issues), "sft");
    return r.data;
  }
  const g = spec.grpo;
  const cfg = {
    ...common,
    max_steps: t.maxSteps ?? g.steps,
    learning_rate: g.learningRate,
    num_generations: g.numGenerations,
    prompts_per_batch: g.promptsPerBatch,
    mini_batch_prompts: g.miniBatchPrompts,
    epsilon: g.epsilon,
    beta: g.beta,
    temperature: g.temperature,
    max_completion_length: g.maxCompletionLength,
    save_steps: g.saveSteps,
    reward_command: t.rewardCommand,
  };
  void arm;
  const r = GrpoTrainerConfig.safeParse(cfg);
  if (!r.success) refuse(toApiIssues(r.error.issues), "grpo");
  return r.data;
}

/** Where a job's checkpoints live inside the artifact store. */
export function checkpointKey(experimentId: string, jobName: string): string {
  return join("checkpoints", experimentId, jobName.replaceAll(":", "_"));
}
