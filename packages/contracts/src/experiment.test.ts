import { describe, expect, it } from "vitest";
import { armSft, expandExperimentRequest, JOB_CATALOGUE, parseStoredSpec, PRESETS, planJobs, TyError, PresetName } from "./index.js";

function errorOf(fn: () => unknown): TyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TyError) return e;
    throw e;
  }
  throw new Error("expected a TyError");
}

describe("experiment spec", () => {
  it.each(PresetName.options)("preset %s expands to a valid, readable spec", (name) => {
    const spec = expandExperimentRequest({ preset: name });
    expect(spec.preset).toBe(name);
    expect(spec.task).toBe(PRESETS[name].task);
    expect(spec.arms.length).toBeGreaterThan(0);
    // Read-back is a fixed point: expanding the expanded spec changes nothing.
    expect(expandExperimentRequest(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it("demo-cpu evaluates on levels that are not training boards; repro-cpu is demo-cpu with 3 seeds and a longer diverse arm", () => {
    const demo = expandExperimentRequest({ preset: "demo-cpu" });
    expect(demo.datasets).toMatchObject({ eval: { seedStart: 100_000 }, leaks: "remove" });
    expect(demo.arms.map((a) => `${a.name}:${a.data}:${a.target}`)).toEqual(["frozen-ans:frozen:answer", "diverse-ans:diverse:answer"]);
    expect(demo.splits).toHaveLength(8);
    // Several checkpoints per arm: every saved checkpoint is evaluated.
    expect(demo.sft.maxSteps! / demo.sft.saveSteps).toBeGreaterThanOrEqual(3);
    const repro = expandExperimentRequest({ preset: "repro-cpu" });
    expect(repro.seeds).toEqual([0, 1, 2]);
    expect(repro.model).toEqual(demo.model);
    expect(repro.sft).toEqual(demo.sft);
    // The diverse arm gets a larger share of the budget (1,000 steps, 4 checkpoints); frozen keeps demo-cpu's.
    const [frozen, diverse] = repro.arms;
    expect(armSft(repro, frozen!)).toEqual(demo.sft);
    expect(armSft(repro, diverse!)).toEqual({ ...demo.sft, maxSteps: 1000, saveSteps: 250 });
    expect(repro.datasets.leaks).toBe("remove");
    const gp = expandExperimentRequest({ preset: "demo-cpu-gp" });
    expect(gp.task).toBe("general-points");
    expect(gp.model.engine).toBe("cpu-tiny");
    expect(gp.arms.map((a) => a.data)).toEqual(["frozen", "diverse"]);
    expect(gp.splits).toEqual(["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake"]);
  });

  it("overrides merge into the preset (objects merge, arrays replace)", () => {
    const spec = expandExperimentRequest({ preset: "demo-cpu", seeds: [1, 2], sft: { maxSteps: 5 } });
    expect(spec.seeds).toEqual([1, 2]);
    expect(spec.sft.maxSteps).toBe(5);
    expect(spec.sft.learningRate).toBe(3e-3);
  });

  it("rejects an unknown preset naming the field", () => {
    const e = errorOf(() => expandExperimentRequest({ preset: "nope" }));
    expect(e.code).toBe("TY_ERR_UNKNOWN_PRESET");
    expect(e.issues?.[0]?.path).toEqual(["preset"]);
  });

  it("rejects wrong types, unknown tasks and negative sizes with the field path", () => {
    const t = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", task: "chess" }));
    expect(t.code).toBe("TY_ERR_VALIDATION");
    expect(t.issues?.map((i) => i.path)).toContainEqual(["task"]);
    const n = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", datasets: { train: { size: -5 } } }));
    expect(n.issues?.map((i) => i.path)).toContainEqual(["datasets", "train", "size"]);
    const u = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", sft: { lr: 1 } }));
    expect(u.issues?.[0]?.path).toEqual(["sft"]);
  });

  it("observationLoss is for tasks whose prompts mark an observation (sokoban), a conflict elsewhere", () => {
    expect(expandExperimentRequest({ preset: "demo-cpu", sft: { observationLoss: true } }).sft.observationLoss).toBe(true);
    expect(expandExperimentRequest({ preset: "paper-sokoban" }).sft.observationLoss).toBe(false);
    const gp = errorOf(() => expandExperimentRequest({ preset: "demo-cpu-gp", sft: { observationLoss: true } }));
    expect(gp.code).toBe("TY_ERR_SPEC_CONFLICT");
    expect(gp.issues?.[0]?.path).toEqual(["sft", "observationLoss"]);
  });

  it("observationWeight lies in (0, 1] and needs observationLoss, naming the field", () => {
    expect(
      expandExperimentRequest({ preset: "paper-sokoban", sft: { observationLoss: true, observationWeight: 0.25 } }).sft.observationWeight,
    ).toBe(0.25);
    expect(expandExperimentRequest({ preset: "paper-sokoban" }).sft).toMatchObject({
      observationWeight: 1,
      observationSchedule: "constant",
    });
    const alone = errorOf(() => expandExperimentRequest({ preset: "paper-sokoban", sft: { observationWeight: 0.25 } }));
    expect(alone.code).toBe("TY_ERR_SPEC_CONFLICT");
    expect(alone.issues?.[0]?.path).toEqual(["sft", "observationWeight"]);
    const sched = errorOf(() => expandExperimentRequest({ preset: "paper-sokoban", sft: { observationSchedule: "linear" } }));
    expect(sched.issues?.[0]?.path).toEqual(["sft", "observationSchedule"]);
    // demo-cpu trains the board at 0.2, falling to 0 (docs/demo.md); demo-cpu-gp has no board.
    expect(expandExperimentRequest({ preset: "demo-cpu" }).sft).toMatchObject({
      observationLoss: true,
      observationWeight: 0.2,
      observationSchedule: "linear",
      positionJitter: 12,
    });
    expect(expandExperimentRequest({ preset: "repro-cpu" }).sft.positionJitter).toBe(12);
    expect(expandExperimentRequest({ preset: "demo-cpu-gp" }).sft).toMatchObject({ observationLoss: false, positionJitter: 0 });
    for (const bad of [0, 1.5, -1]) {
      const e = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", sft: { observationLoss: true, observationWeight: bad } }));
      expect(e.issues?.[0]?.path, String(bad)).toEqual(["sft", "observationWeight"]);
    }
  });

  it("positionJitter is a whole number in [0, 64] and needs observationLoss, naming the field", () => {
    expect(expandExperimentRequest({ preset: "paper-sokoban" }).sft.positionJitter).toBe(0);
    expect(
      expandExperimentRequest({ preset: "paper-sokoban", sft: { observationLoss: true, positionJitter: 12 } }).sft.positionJitter,
    ).toBe(12);
    const alone = errorOf(() => expandExperimentRequest({ preset: "paper-sokoban", sft: { positionJitter: 12 } }));
    expect(alone.code).toBe("TY_ERR_SPEC_CONFLICT");
    expect(alone.issues?.[0]?.path).toEqual(["sft", "positionJitter"]);
    for (const bad of [-1, 1.5, 65]) {
      const e = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", sft: { positionJitter: bad } }));
      expect(e.issues?.[0]?.path, String(bad)).toEqual(["sft", "positionJitter"]);
    }
  });

  it("demo-cpu and repro-cpu train the diverse arm 1,000 steps and the frozen arm 600; demo-cpu-gp keeps one budget", () => {
    const budget = (preset: PresetName) => {
      const spec = expandExperimentRequest({ preset });
      return spec.arms.map((a) => [a.name, armSft(spec, a).maxSteps, armSft(spec, a).saveSteps]);
    };
    for (const preset of ["demo-cpu", "repro-cpu"] as const) {
      expect(budget(preset)).toEqual([
        ["frozen-ans", 600, 200],
        ["diverse-ans", 1000, 250],
      ]);
    }
    expect(budget("demo-cpu-gp")).toEqual([
      ["frozen-ans", 1500, 500],
      ["diverse-ans", 1500, 500],
    ]);
  });

  it("an experiment-level budget in a preset request applies to every arm (was: demo-cpu's diverse arm kept its 1,000 steps)", () => {
    const budget = (body: Record<string, unknown>) => {
      const spec = expandExperimentRequest({ preset: "demo-cpu", ...body });
      return spec.arms.map((a) => [a.name, armSft(spec, a).maxSteps, armSft(spec, a).saveSteps]);
    };
    expect(budget({ sft: { maxSteps: 4, saveSteps: 2 } })).toEqual([
      ["frozen-ans", 4, 2],
      ["diverse-ans", 4, 2],
    ]);
    // Only the keys the request sets: the diverse arm keeps its own checkpoint spacing.
    expect(budget({ sft: { maxSteps: 500 } })).toEqual([
      ["frozen-ans", 500, 200],
      ["diverse-ans", 500, 250],
    ]);
    // Other sft settings leave the arms' budgets alone; arms given in the request are taken as written.
    expect(budget({ sft: { learningRate: 0.001 } })).toEqual([
      ["frozen-ans", 600, 200],
      ["diverse-ans", 1000, 250],
    ]);
    const arms = [{ name: "d", method: "sft", data: "diverse", target: "answer", sft: { maxSteps: 30 } }];
    expect(budget({ arms, sft: { maxSteps: 4 } })).toEqual([["d", 30, 200]]);
  });

  it("an arm may set its own SFT budget over the experiment's; other settings stay shared", () => {
    const arms = [
      { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
      { name: "diverse-ans", method: "sft", data: "diverse", target: "answer", sft: { maxSteps: 900, saveSteps: 300 } },
    ];
    const spec = expandExperimentRequest({ preset: "demo-cpu", arms });
    expect(armSft(spec, spec.arms[0]!)).toEqual(spec.sft);
    expect(armSft(spec, spec.arms[1]!)).toEqual({ ...spec.sft, maxSteps: 900, saveSteps: 300 });
    expect(armSft(spec, spec.arms[1]!).positionJitter).toBe(12);
    // Batch, losses and jitter are the experiment's: an arm cannot set them.
    const batch = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", arms: [{ ...arms[1], sft: { batchSize: 8 } }] }));
    expect(batch.code).toBe("TY_ERR_VALIDATION");
    expect(batch.issues?.[0]?.path).toEqual(["arms", 0, "sft"]);
    const zero = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", arms: [{ ...arms[1], sft: { maxSteps: 0 } }] }));
    expect(zero.issues?.[0]?.path).toEqual(["arms", 0, "sft", "maxSteps"]);
  });

  it("rejects impossible combinations with TY_ERR_SPEC_CONFLICT naming the field", () => {
    const split = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", splits: ["id", "all-5"] }));
    expect(split.code).toBe("TY_ERR_SPEC_CONFLICT");
    expect(split.issues?.[0]?.path).toEqual(["splits", 1]);
    // A Hugging Face model may train on the CPU (float32), but bf16 needs GPUs.
    const gpu = errorOf(() => expandExperimentRequest({ preset: "paper-sokoban", compute: { resources: { gpus: 0 } } }));
    expect(gpu.issues?.[0]?.path).toEqual(["model", "dtype"]);
    expect(
      expandExperimentRequest({ preset: "paper-sokoban", model: { dtype: "auto" }, compute: { resources: { gpus: 0 } } }).model.engine,
    ).toBe("hf");
    // The tiny model trains on whatever the compute gives it, GPUs included.
    expect(expandExperimentRequest({ preset: "demo-cpu", compute: { resources: { gpus: 1 } } }).compute.resources.gpus).toBe(1);
    const qwen = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", model: { arch: "qwen2", copyHead: false } }));
    expect(qwen.issues?.[0]?.path).toEqual(["model", "tokenizer"]);
    const copy = errorOf(() =>
      expandExperimentRequest({ preset: "demo-cpu", model: { arch: "qwen2", tokenizer: "qwen", copyHead: true } }),
    );
    expect(copy.issues?.[0]?.path).toEqual(["model", "copyHead"]);
    expect(copy.code).toBe("TY_ERR_SPEC_CONFLICT");
    const micro = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", sft: { microBatchSize: 5 } }));
    expect(micro.issues?.[0]?.path).toEqual(["sft", "microBatchSize"]);
    const len = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", sampling: { maxTokens: 4096 } }));
    expect(len.issues?.[0]?.path).toEqual(["sampling", "maxTokens"]);
    const mb = errorOf(() => expandExperimentRequest({ preset: "paper-sokoban", grpo: { miniBatchPrompts: 100 } }));
    expect(mb.issues?.[0]?.path).toEqual(["grpo", "miniBatchPrompts"]);
    const dup = errorOf(() =>
      expandExperimentRequest({
        preset: "demo-cpu",
        arms: [
          { name: "a", method: "sft", data: "frozen", target: "answer" },
          { name: "a", method: "sft", data: "diverse", target: "answer" },
        ],
      }),
    );
    expect(dup.issues?.[0]?.path).toEqual(["arms", 1, "name"]);
    const heads = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", model: { dModel: 192, heads: 64 } }));
    expect(heads.issues?.[0]?.path).toEqual(["model", "heads"]);
    const gpEval = errorOf(() => expandExperimentRequest({ preset: "paper-general-points", datasets: { eval: { size: 501 } } }));
    expect(gpEval.issues?.[0]?.path).toEqual(["datasets", "eval", "size"]);
  });

  it("plans the DAG: dataset-build, then each arm's training chain, then its eval", () => {
    const spec = expandExperimentRequest({ preset: "paper-sokoban" });
    const jobs = planJobs(spec);
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect(jobs[0]?.name).toBe("dataset-build");
    expect(byName.get("sft:rl-warm:s0")?.dependsOn).toEqual(["dataset-build"]);
    expect(byName.get("grpo:rl-warm:s0")?.dependsOn).toEqual(["sft:rl-warm:s0"]);
    expect(byName.get("eval:rl-warm:s0")?.dependsOn).toEqual(["grpo:rl-warm:s0"]);
    expect(byName.get("eval:ans:s0")?.dependsOn).toEqual(["sft:ans:s0"]);
    // 5 arms: 4 sft + (sft, grpo) + 5 evals + 1 build
    expect(jobs).toHaveLength(1 + 4 + 2 + 5);
    for (const j of jobs) for (const d of j.dependsOn) expect(byName.has(d)).toBe(true);
  });
});

describe("stored specs are parsed again when read", () => {
  it("round-trips a stored spec, fills a default a pre-existing row lacks, and names the field a broken row breaks", () => {
    const spec = expandExperimentRequest({ preset: "demo-cpu" });
    const stored = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
    expect(parseStoredSpec(stored)).toEqual(spec);
    const { scoring: _scoring, ...older } = stored;
    expect(parseStoredSpec(older).scoring).toBe("paper");
    const e = errorOf(() => parseStoredSpec({ ...stored, task: "chess" }));
    expect(e.code).toBe("TY_ERR_INTERNAL");
    expect(e.message).toContain("task");
  });
});

describe("per-kind job payloads", () => {
  it("every planned job's params parse with its kind's catalogue schema, and not with another kind's", () => {
    for (const preset of PresetName.options) {
      for (const job of planJobs(expandExperimentRequest({ preset }))) {
        expect(JOB_CATALOGUE[job.kind].params.parse(job.params), `${preset} ${job.name}`).toEqual(job.params);
        const other = job.kind === "eval" ? "sft" : "eval";
        expect(JOB_CATALOGUE[other].params.safeParse(job.params).success, `${preset} ${job.name} as ${other}`).toBe(false);
      }
    }
  });
});
