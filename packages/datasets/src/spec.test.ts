import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandExperimentRequest } from "@trainyard/contracts";
import { sokoban } from "@trainyard/envs";
import {
  LocalArtifactStore,
  buildDataset,
  datasetSpecFromExperiment,
  datasetSpecHash,
  presetDatasetSpec,
  resolveDatasetSpec,
} from "./index.js";

function codeOf(fn: () => unknown): { code: string; path: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    const err = e as { code: string; issues?: { path: unknown }[]; message: string };
    return { code: err.code, path: err.issues?.[0]?.path, message: err.message };
  }
  throw new Error("expected an error");
}

describe("dataset spec", () => {
  it("fills the paper's defaults per task", () => {
    const s = resolveDatasetSpec({ task: "sokoban" });
    expect(s.train.frozen).toEqual({ size: 1000, seedStart: 42 });
    expect(s.train.arms.map((a) => `${a.data}-${a.target}`)).toEqual(["frozen-answer", "diverse-answer", "frozen-cot", "diverse-cot"]);
    // docs/sokoban-rules.md#evaluation-seeds: base 123, env k of the reference's list gets 123 + k.
    expect(Object.fromEntries(s.eval.splits.map((x) => [x.name, x.seedStart]))).toEqual({
      id: 123,
      alpha: 723,
      num: 623,
      rand: 523,
      large: 223,
      "two-boxes": 423,
      complex: 323,
      fake: 823,
    });
    for (const sp of s.eval.splits) expect(sp.seedStart).toBe(sokoban.getSetting(sp.name).firstSeed);
    const g = resolveDatasetSpec({ task: "general-points" });
    expect(g.train.diverse).toEqual({ size: 10_000, seedStart: 42 });
    expect(g.eval.splits.every((x) => x.size === 500 && x.seedStart === 42)).toBe(true);
  });

  it("honours eval.seedStart: split k starts at base + k·max(100, size), the paper's blocks of 100", () => {
    const s = resolveDatasetSpec({ task: "sokoban", eval: { seedStart: 5000, size: 10, splits: ["id", "fake"] } });
    expect(s.eval.splits).toEqual([
      { name: "id", size: 10, seedStart: 5000 },
      { name: "fake", size: 10, seedStart: 5700 },
    ]);
    // A smaller set is the paper's first N of each setting (Alpha: 723…), as the harness plays it.
    const small = resolveDatasetSpec({ task: "sokoban", eval: { size: 30, splits: ["alpha"] } });
    expect(small.eval.splits[0]).toEqual({ name: "alpha", size: 30, seedStart: 723 });
    const big = resolveDatasetSpec({ task: "sokoban", eval: { seedStart: 0, size: 150, splits: ["large"] } });
    expect(big.eval.splits[0]!.seedStart).toBe(150);
  });

  it("derives from an ExperimentSpec and its presets; the same data hashes the same", () => {
    const paper = presetDatasetSpec("paper-sokoban");
    expect(paper.train.arms).toHaveLength(4); // rl-warm reuses frozen-cot
    expect(datasetSpecHash(paper)).toBe(datasetSpecHash(resolveDatasetSpec({ task: "sokoban" })));
    const clean = presetDatasetSpec("clean-sokoban");
    expect(clean.leaks).toBe("remove");
    expect(Math.min(...clean.eval.splits.map((x) => x.seedStart))).toBeGreaterThan(1041);
    const gp = datasetSpecFromExperiment(expandExperimentRequest({ preset: "paper-general-points" }));
    expect(gp.train.frozen.size).toBe(10_000);
    expect(datasetSpecHash(gp)).toBe(datasetSpecHash(resolveDatasetSpec({ task: "general-points" })));
  });

  it("one changed seed changes the hash; operational teacher knobs do not", () => {
    const a = resolveDatasetSpec({ task: "sokoban" });
    const b = resolveDatasetSpec({ task: "sokoban", train: { seedStart: 43 } });
    expect(datasetSpecHash(a)).not.toBe(datasetSpecHash(b));
    const t = (concurrency: number) =>
      resolveDatasetSpec({ task: "sokoban", cot: { producer: "teacher", teacher: { baseUrl: "http://127.0.0.1:1/v1", concurrency } } });
    expect(datasetSpecHash(t(1))).toBe(datasetSpecHash(t(32)));
  });

  it("rejects bad specs with TY_ERR_DATASET_INVALID_SPEC naming the field", () => {
    const bad = (input: unknown) => codeOf(() => resolveDatasetSpec(input));
    expect(bad({ task: "sokoban", eval: { splits: ["id", "all-5"] } })).toMatchObject({
      code: "TY_ERR_DATASET_INVALID_SPEC",
      path: ["eval", "splits", 1],
    });
    expect(bad({ task: "sokoban", train: { size: 0 } })).toMatchObject({ code: "TY_ERR_DATASET_INVALID_SPEC", path: ["train", "size"] });
    expect(bad({ task: "sokoban", train: { seedStart: 4_294_967_000, size: 1000 } })).toMatchObject({
      code: "TY_ERR_DATASET_INVALID_SPEC",
      path: ["train", "size"],
    });
    expect(bad({ task: "sokoban", eval: { seedStart: 4_294_967_200 } })).toMatchObject({ path: ["eval", "seedStart"] });
    expect(bad({ task: "general-points", train: { diverse: { size: 10 } } })).toMatchObject({ path: ["train", "diverse", "size"] });
    expect(bad({ task: "general-points", train: { size: 20_000 } })).toMatchObject({ path: ["train", "size"] });
    expect(bad({ task: "general-points", eval: { size: 501 } })).toMatchObject({ path: ["eval", "size"] });
    expect(bad({ task: "general-points", train: { seedStart: 0 } })).toMatchObject({ path: ["train", "seedStart"] });
    expect(bad({ task: "sokoban", cot: { producer: "teacher" } })).toMatchObject({ path: ["cot", "teacher"] });
    expect(bad({ task: "sokoban", train: { frozenSource: { kind: "upload", uri: "uploads/x.jsonl" } } })).toMatchObject({
      path: ["train", "frozenSource"],
    });
    expect(bad({ task: "general-points", train: { frozenSource: { kind: "upload", uri: "../etc/passwd" } } }).path).toEqual([
      "train",
      "frozenSource",
      "uri",
    ]);
    expect(bad({ task: "chess" })).toMatchObject({ code: "TY_ERR_DATASET_INVALID_SPEC", path: ["task"] });
    expect(bad({ task: "sokoban", eval: { oops: 1 } }).code).toBe("TY_ERR_DATASET_INVALID_SPEC");
  });

  it("rejects a leak removal that would empty a training set with TY_ERR_DATASET_EMPTY", async () => {
    // A level solved in one move has one state: its start board. Evaluate on that same level.
    let seed = 42;
    while (sokoban.generateItem("id", seed).optimal.length !== 1) seed++;
    const spec = resolveDatasetSpec({
      task: "sokoban",
      train: { size: 1, seedStart: seed, arms: [{ data: "frozen", target: "answer" }] },
      eval: { splits: ["id"], overrides: { id: { size: 1, seedStart: seed } } },
      leaks: "remove",
    });
    const store = new LocalArtifactStore(mkdtempSync(join(tmpdir(), "ty-ds-")));
    await expect(buildDataset(spec, { store, prefix: "" })).rejects.toMatchObject({
      code: "TY_ERR_DATASET_EMPTY",
      issues: [{ path: ["leaks"] }],
    });
    expect(await store.stat("manifest.json")).toBeNull();
  });
});
