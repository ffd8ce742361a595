/**
 * The worker sends the trainer every field it needs, for every preset: regression for the old
 * mapping that never sent `context_length`, `dtype` or `micro_batch_size` for Hugging Face
 * models, so a 7B run would have used the trainer's CPU defaults (context 256, whole-batch
 * micro-batches). The result must also be accepted by the zod mirror of the Python dataclasses.
 */
import { describe, expect, it } from "vitest";
import { GrpoTrainerConfig, OBSERVATION_MARKERS, SftTrainerConfig, expandExperimentRequest, type PresetName } from "@trainyard/contracts";
import { requireEnv } from "@trainyard/envs";
import { modelConfig, trainerConfig, type TrainInputs } from "./trainer-config.js";

function inputs(preset: PresetName, mode: "sft" | "grpo", over: Record<string, unknown> = {}): TrainInputs {
  const spec = expandExperimentRequest({ preset, ...over });
  return {
    mode,
    spec,
    arm: spec.arms[0]!,
    seed: 0,
    trainFile: "/data/train/frozen-answer.jsonl",
    outputDir: "/ckpt/run",
    initFrom: null,
    resumeFrom: null,
    maxSteps: null,
    rewardCommand: ["node", "cli.js", "env", "batch"],
  };
}

describe("trainer config from the spec", () => {
  it("paper-sokoban (Qwen2.5-7B on 4 GPUs): the model's context, bf16, micro-batches, eval sampling", () => {
    const cfg = trainerConfig(inputs("paper-sokoban", "sft"));
    expect(cfg).toMatchObject({
      model: "Qwen/Qwen2.5-7B",
      context_length: 9216,
      dtype: "bfloat16",
      device: "cuda",
      gradient_checkpointing: true,
      batch_size: 128,
      micro_batch_size: 4,
      learning_rate: 1e-5,
      warmup_ratio: 0.1,
      template: "raw",
      eval_temperature: 0.5,
      eval_top_p: 1,
      eval_max_tokens: 4096,
      lora: null,
    });
    expect(SftTrainerConfig.safeParse(cfg).success).toBe(true);
  });

  it("GRPO for general points: chat template, completions per micro-batch, the reward command", () => {
    const cfg = trainerConfig(inputs("paper-general-points", "grpo"));
    expect(cfg).toMatchObject({
      template: "chat",
      context_length: 10240,
      num_generations: 8,
      prompts_per_batch: 256,
      mini_batch_prompts: 256,
      // 4 since the preflight: 8 completions of 7,000 tokens need ~89 GiB per GPU.
      micro_batch_size: 4,
      processes: 4,
      nodes: 1,
      strategy: "auto",
      reward_command: ["node", "cli.js", "env", "batch"],
    });
    expect(GrpoTrainerConfig.safeParse(cfg).success).toBe(true);
  });

  it("demo-cpu: the tiny model's shape, tokenizer and copy head, CPU, no LoRA", () => {
    const m = modelConfig(expandExperimentRequest({ preset: "demo-cpu" }));
    expect(m).toMatchObject({ model: "tiny", device: "cpu", tiny_arch: "llama", tiny_tokenizer: "labels", vocab_size: 2048 });
    expect(m).toMatchObject({ layers: 4, copy_head: true, copy_first_only: true, copy_gate_bias: 8, freeze_embeddings: false });
    // Untied: a label the frozen arm never emits keeps its random input embedding.
    expect(trainerConfig(inputs("demo-cpu", "sft")).tie_embeddings).toBe(false);
    expect(trainerConfig(inputs("demo-cpu-gp", "sft")).tie_embeddings).toBe(true);
    expect(trainerConfig(inputs("paper-sokoban", "sft")).tie_embeddings).toBe(true);
    expect((m.tokenizer_texts as string[]).length).toBeGreaterThan(0);
    // General Points keeps the first CPU recipe (the copy head was measured on Sokoban only).
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu-gp" }))).toMatchObject({
      tiny_tokenizer: "lines",
      tokenizer_texts: [],
      layers: 2,
      copy_head: false,
    });
    expect(m.context_length).toBe(1536);
    expect(SftTrainerConfig.safeParse({ ...trainerConfig(inputs("demo-cpu", "sft")) }).success).toBe(true);
  });

  it("the labels tokenizer learns every vocabulary the environment renders, and no level", () => {
    const m = modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { tokenizer: "labels", freezeEmbeddings: true } }));
    expect(m.tiny_tokenizer).toBe("labels");
    const texts = m.tokenizer_texts as string[];
    const all = texts.join("\n");
    for (const label of [
      "<answer> A </answer>",
      "<answer> 1 </answer>",
      "<answer> * </answer>",
      "<answer> North </answer>",
      "where cat is",
    ])
      expect(all).toContain(label);
    // Action sections and the line after the board in both forms (training, and evaluation with the
    // reference's stray backslash): no grid row, so no evaluation level can reach the tokenizer.
    expect(texts.every((t) => !t.includes("\t"))).toBe(true);
    expect(texts.filter((t) => !t.startsWith("Answers:\n"))).toEqual(["\nDecide the next action:", "\nDecide the next action:\\"]);
    expect(m.freeze_embeddings).toBe(true);
    const lines = modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { tokenizer: "lines", freezeEmbeddings: false } }));
    expect(lines).toMatchObject({ tokenizer_texts: [], freeze_embeddings: false });
  });

  it("the copy head travels to the trainer (off unless asked for; never for a Hugging Face model)", () => {
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyHead: true } }))).toMatchObject({
      copy_head: true,
      copy_dim: 64,
    });
    // demo-cpu copies first mentions only; turning its copy head off turns that off too.
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyHead: false } }))).toMatchObject({
      copy_head: false,
      copy_first_only: false,
    });
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyFirstOnly: false } }))).toMatchObject({
      copy_head: true,
      copy_first_only: false,
    });
    expect(SftTrainerConfig.safeParse({ copy_first_only: true }).error?.issues[0]?.path).toEqual(["copy_first_only"]);
    // The gate's starting bias travels with the copy head and is 0 without it.
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyGateBias: -2.5 } })).copy_gate_bias).toBe(-2.5);
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyHead: false } })).copy_gate_bias).toBe(0);
    expect(SftTrainerConfig.safeParse({ copy_gate_bias: 8 }).error?.issues[0]?.path).toEqual(["copy_gate_bias"]);
    expect(() => expandExperimentRequest({ preset: "demo-cpu", model: { copyGateBias: 50 } })).toThrow(/model\.copyGateBias/);
    // What the gate reads travels with the copy head too: the demo's token gate, "hidden" without a copy head.
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu" })).copy_gate).toBe("token");
    expect(modelConfig(expandExperimentRequest({ preset: "repro-cpu" })).copy_gate).toBe("token");
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyGate: "hidden" } })).copy_gate).toBe("hidden");
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyHead: false } })).copy_gate).toBe("hidden");
    expect(SftTrainerConfig.safeParse({ copy_gate: "token" }).error?.issues[0]?.path).toEqual(["copy_gate"]);
    expect(() => expandExperimentRequest({ preset: "demo-cpu", model: { copyGate: "pointer" } })).toThrow(/model\.copyGate/);
    expect(modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyKeyContent: false } })).copy_key_content).toBe(false);
    expect(
      modelConfig(expandExperimentRequest({ preset: "demo-cpu", model: { copyHead: false, copyKeyContent: false } })).copy_key_content,
    ).toBe(true);
    expect(SftTrainerConfig.safeParse({ copy_key_content: false }).error?.issues[0]?.path).toEqual(["copy_key_content"]);
    expect(modelConfig(expandExperimentRequest({ preset: "paper-sokoban" })).copy_head).toBe(false);
    expect(SftTrainerConfig.safeParse({ copy_head: true, tiny_arch: "qwen2", tiny_tokenizer: "qwen" }).error?.issues[0]?.path).toEqual([
      "copy_head",
    ]);
  });

  it("observationLoss sends the task's observation markers, which enclose the board in every Sokoban prompt", () => {
    const on = trainerConfig(inputs("paper-sokoban", "sft", { sft: { observationLoss: true } }));
    const [after, before] = OBSERVATION_MARKERS.sokoban!;
    expect(on).toMatchObject({ observation_after: after, observation_before: before });
    expect(trainerConfig(inputs("paper-sokoban", "sft"))).toMatchObject({ observation_after: "", observation_before: "" });
    const env = requireEnv("sokoban");
    for (const split of env.evalSplits) {
      const prompt = env.episode(split, env.firstKey(split)).prompt();
      const start = prompt.indexOf(after) + after.length;
      const end = prompt.indexOf(before, start);
      expect(start >= after.length && end > start, split).toBe(true);
      // The span is the board: rows of TAB-ended cells, nothing of the instructions.
      expect(
        prompt
          .slice(start, end)
          .split("\n")
          .every((line) => /^( \S+ \t)+$/u.test(line)),
        split,
      ).toBe(true);
    }
    expect(SftTrainerConfig.safeParse({ observation_after: after }).error?.issues[0]?.path).toEqual(["observation_after"]);
    expect(
      SftTrainerConfig.safeParse({ observation_after: after, observation_before: before, template: "chat" }).error?.issues[0]?.path,
    ).toEqual(["observation_after"]);
  });

  it("observationWeight and observationSchedule travel to the trainer, and either without markers is refused", () => {
    const w = trainerConfig(inputs("paper-sokoban", "sft", { sft: { observationLoss: true, observationWeight: 0.2 } }));
    expect(w).toMatchObject({ observation_weight: 0.2, observation_schedule: "constant" });
    expect(trainerConfig(inputs("paper-sokoban", "sft"))).toMatchObject({ observation_weight: 1, observation_schedule: "constant" });
    expect(trainerConfig(inputs("demo-cpu", "sft"))).toMatchObject({ observation_weight: 0.2, observation_schedule: "linear" });
    expect(SftTrainerConfig.safeParse({ observation_schedule: "linear" }).error?.issues[0]?.path).toEqual(["observation_schedule"]);
    const [after, before] = OBSERVATION_MARKERS.sokoban!;
    expect(SftTrainerConfig.safeParse({ observation_weight: 0.5 }).error?.issues[0]?.path).toEqual(["observation_weight"]);
    expect(SftTrainerConfig.safeParse({ observation_after: after, observation_before: before, observation_weight: 0 }).success).toBe(false);
    expect(SftTrainerConfig.safeParse({ observation_after: after, observation_before: before, observation_weight: 0.5 }).success).toBe(
      true,
    );
  });

  it("positionJitter travels to the trainer, and without the observation markers is refused", () => {
    const j = trainerConfig(inputs("paper-sokoban", "sft", { sft: { observationLoss: true, positionJitter: 12 } }));
    expect(j).toMatchObject({ position_jitter: 12 });
    expect(trainerConfig(inputs("paper-sokoban", "sft"))).toMatchObject({ position_jitter: 0 });
    expect(SftTrainerConfig.safeParse({ position_jitter: 4 }).error?.issues[0]?.path).toEqual(["position_jitter"]);
    const [after, before] = OBSERVATION_MARKERS.sokoban!;
    expect(SftTrainerConfig.safeParse({ observation_after: after, observation_before: before, position_jitter: -1 }).success).toBe(false);
    expect(SftTrainerConfig.safeParse({ observation_after: after, observation_before: before, position_jitter: 4 }).success).toBe(true);
  });

  it("an arm's own SFT budget reaches its trainer; the other arm keeps the experiment's", () => {
    const spec = expandExperimentRequest({
      preset: "demo-cpu",
      arms: [
        { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
        {
          name: "diverse-ans",
          method: "sft",
          data: "diverse",
          target: "answer",
          sft: { maxSteps: 900, saveSteps: 300, learningRate: 2e-3 },
        },
      ],
    });
    const base = inputs("demo-cpu", "sft");
    const frozen = trainerConfig({ ...base, spec, arm: spec.arms[0]! });
    const diverse = trainerConfig({ ...base, spec, arm: spec.arms[1]! });
    expect(frozen).toMatchObject({ max_steps: 600, save_steps: 200, learning_rate: 3e-3, position_jitter: 12 });
    expect(diverse).toMatchObject({ max_steps: 900, save_steps: 300, learning_rate: 2e-3, position_jitter: 12 });
  });

  it("LoRA and a pinned revision travel to the trainer", () => {
    const cfg = trainerConfig(inputs("paper-sokoban", "sft", { model: { revision: "v1", lora: { rank: 16, alpha: 32 } } }));
    expect(cfg).toMatchObject({ model_revision: "v1", lora: { rank: 16, alpha: 32, dropout: 0.05, target_modules: ["all-linear"] } });
  });

  it("a retry resumes its own checkpoint; a warm start only loads weights", () => {
    const t = inputs("demo-cpu", "sft");
    expect(trainerConfig({ ...t, resumeFrom: "/ckpt/run/checkpoint-750" })).toMatchObject({
      resume_from: "/ckpt/run/checkpoint-750",
      init_from: "",
      max_steps: 600,
    });
    expect(trainerConfig({ ...t, initFrom: "/ckpt/sft/checkpoint-10" })).toMatchObject({
      init_from: "/ckpt/sft/checkpoint-10",
      resume_from: "",
    });
  });
});
