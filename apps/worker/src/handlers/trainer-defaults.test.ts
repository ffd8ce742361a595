/**
 * One source of defaults: a spec that leaves the training fields out gets SPEC_DEFAULTS, and those
 * reach the trainer's config unchanged; every preset's config sets every trainer field itself, so
 * no default of the Python trainer applies to a service run.
 */
import { describe, expect, it } from "vitest";
import { ExperimentSpec, PresetName, SERVICE_TRAINER_SETTINGS, SPEC_DEFAULTS, expandExperimentRequest } from "@trainyard/contracts";
import { trainerConfig, type TrainInputs } from "./trainer-config.js";

const run = (spec: ExperimentSpec, mode: "sft" | "grpo"): Record<string, unknown> =>
  trainerConfig({
    mode,
    spec,
    arm: spec.arms[0]!,
    seed: 0,
    trainFile: "/data/train.jsonl",
    outputDir: "/ckpt/run",
    initFrom: null,
    resumeFrom: null,
    maxSteps: null,
    rewardCommand: ["node", "cli.js", "env", "batch"],
  } satisfies TrainInputs);

describe("defaults", () => {
  // demo-cpu with its training sections left out (and room for the default 4,096 sampled tokens).
  const demo = expandExperimentRequest({ preset: "demo-cpu" });
  const spec = ExperimentSpec.parse({ ...demo, model: { ...demo.model, contextLength: 8192 }, sft: {}, grpo: {}, sampling: {} });

  it("a spec's defaults are SPEC_DEFAULTS", () => {
    expect(spec.sft).toEqual(SPEC_DEFAULTS.sft);
    expect(spec.grpo).toEqual(SPEC_DEFAULTS.grpo);
    expect(spec.sampling).toEqual(SPEC_DEFAULTS.sampling);
  });

  it("reach the trainer's SFT and GRPO configs unchanged", () => {
    const d = SPEC_DEFAULTS;
    expect(run(spec, "sft")).toMatchObject({
      epochs: d.sft.epochs,
      learning_rate: d.sft.learningRate,
      batch_size: d.sft.batchSize,
      micro_batch_size: d.sft.microBatchSize,
      warmup_ratio: d.sft.warmupRatio,
      weight_decay: d.sft.weightDecay,
      grad_clip: d.sft.gradClip,
      save_steps: d.sft.saveSteps,
      eval_temperature: d.sampling.temperature,
      eval_top_p: d.sampling.topP,
      eval_max_tokens: d.sampling.maxTokens,
      ...SERVICE_TRAINER_SETTINGS.common,
    });
    expect(run(spec, "grpo")).toMatchObject({
      max_steps: d.grpo.steps,
      learning_rate: d.grpo.learningRate,
      num_generations: d.grpo.numGenerations,
      prompts_per_batch: d.grpo.promptsPerBatch,
      mini_batch_prompts: d.grpo.miniBatchPrompts,
      micro_batch_size: d.grpo.microBatchSize,
      epsilon: d.grpo.epsilon,
      beta: d.grpo.beta,
      temperature: d.grpo.temperature,
      max_completion_length: d.grpo.maxCompletionLength,
      save_steps: d.grpo.saveSteps,
      ...SERVICE_TRAINER_SETTINGS.grpo,
    });
  });

  it("every preset's trainer configs set every field explicitly (none left to the trainer)", () => {
    // trainerConfig refuses a config that leaves a field out; this runs it for every preset.
    for (const preset of PresetName.options) {
      const s = expandExperimentRequest({ preset });
      const modes = new Set(s.arms.flatMap((a) => (a.method === "sft-then-grpo" ? ["sft", "grpo"] : [a.method])));
      for (const mode of modes) expect(() => run(s, mode as "sft" | "grpo"), `${preset} ${mode}`).not.toThrow();
    }
  });
});
