import { describe, expect, it } from "vitest";
import { estimateMemory, expandExperimentRequest, preflightMemory, TyError, type ExperimentSpecInput } from "./index.js";

const spec = (over: Partial<ExperimentSpecInput> = {}) => expandExperimentRequest({ preset: "paper-sokoban", ...over });

describe("preflight memory estimate", () => {
  it("7B full fine-tuning: 16 bytes a parameter (~122 GB for Qwen2.5-7B's 7.6B) sharded by FSDP over 4 GPUs", () => {
    const est = estimateMemory(spec())!;
    expect(est.params).toBeGreaterThan(7.5e9);
    const sft = est.jobs.find((j) => j.job === "sft")!;
    expect(sft.strategy).toBe("fsdp");
    expect(sft.worldSize).toBe(4);
    const states = sft.breakdown.gradients + sft.breakdown.optimizer;
    // float32 gradients + AdamW moments = 12 bytes a parameter, a quarter per GPU.
    expect(states).toBeCloseTo((12 * est.params) / 4 / 1024 ** 3, 0);
    expect(est.fits).toBe(true);
    expect(est.perGpuGiB).toBeLessThan(80);
  });

  it("the same run on one GPU does not fit an 80 GiB card and is refused naming the field and the estimate", () => {
    const one = spec({ compute: { backend: "kubernetes", resources: { gpus: 1, cpus: 8, memoryGiB: 64 } } });
    let err: unknown;
    try {
      preflightMemory(one, 80);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TyError);
    const e = err as TyError;
    expect(e.code).toBe("TY_ERR_SPEC_MEMORY");
    expect(e.statusCode).toBe(400);
    expect(e.issues?.[0]?.path).toEqual(["compute", "resources", "gpuMemoryGiB"]);
    const est = estimateMemory(one, 80)!;
    expect(e.message).toContain(`${est.perGpuGiB} GiB per GPU`);
    expect(est.perGpuGiB).toBeGreaterThan(80);
  });

  it("four 24 GiB GPUs are too small for the paper's layout; a stated gpuMemoryGiB overrides the operator default", () => {
    const small = spec({ compute: { backend: "kubernetes", resources: { gpus: 4, cpus: 32, memoryGiB: 256, gpuMemoryGiB: 24 } } });
    expect(() => preflightMemory(small, 80)).toThrow(/TY_ERR_SPEC_MEMORY|needs about/);
    expect(estimateMemory(small, 80)!.gpuMemoryGiB).toBe(24);
  });

  it("LoRA and more GPUs lower the estimate; a CPU run is never refused for GPU memory", () => {
    const full = estimateMemory(spec())!.perGpuGiB;
    const lora = estimateMemory(spec({ model: { engine: "hf", id: "Qwen/Qwen2.5-7B", maxModelLength: 9216, lora: {} } }))!;
    expect(lora.jobs[0]!.strategy).toBe("ddp");
    expect(lora.jobs[0]!.breakdown.optimizer).toBeLessThan(estimateMemory(spec())!.jobs[0]!.breakdown.optimizer / 10);
    const eight = estimateMemory(spec({ compute: { backend: "kubernetes", resources: { gpus: 8, cpus: 32, memoryGiB: 256 } } }))!;
    expect(eight.perGpuGiB).toBeLessThan(full);
    const cpu = estimateMemory(expandExperimentRequest({ preset: "demo-cpu" }))!;
    expect(cpu.fits).toBe(true);
    expect(estimateMemory(spec({ model: { engine: "hf", id: "someone/unknown-model" } }))).toBeNull();
  });

  it("compute layout conflicts name their field", () => {
    const bad = (over: Partial<ExperimentSpecInput>) => {
      try {
        spec(over);
      } catch (e) {
        return (e as TyError).issues?.[0]?.path;
      }
      return null;
    };
    expect(bad({ compute: { backend: "kubernetes", resources: { gpus: 4 }, processes: 2 } })).toEqual(["compute", "processes"]);
    expect(bad({ compute: { backend: "process", resources: { gpus: 4 }, nodes: 2 } })).toEqual(["compute", "nodes"]);
    expect(
      bad({
        model: { engine: "hf", id: "Qwen/Qwen2.5-7B", maxModelLength: 9216, dtype: "float32" },
        compute: { backend: "process", resources: { gpus: 0 }, strategy: "fsdp" },
      }),
    ).toEqual(["compute", "strategy"]);
  });
});
