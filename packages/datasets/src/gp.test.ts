/**
 * The paper's General Points sets: diverse = 8 rules × 1,250; frozen regenerated with the
 * legacy wording (and said so); the 500-task evaluation splits; chat JSONL whose `reward`
 * object is an `env batch` request; overlap report and `leaks: "remove"`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gp, handleBatchRequest } from "@trainyard/envs";
import { LocalArtifactStore, buildDataset, resolveDatasetSpec, type BuildResult } from "./index.js";

type Row = Record<string, any>;
const readJsonl = (path: string): Row[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

let dir: string;
let built: BuildResult;
const answerArms = [
  { data: "frozen", target: "answer" },
  { data: "diverse", target: "answer" },
] as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ty-gp-"));
  const spec = resolveDatasetSpec({ task: "general-points", train: { arms: [...answerArms] } });
  built = await buildDataset(spec, { store: new LocalArtifactStore(dir), prefix: "" });
}, 180_000);

describe("paper General Points sets", () => {
  it("diverse: 10,000 tasks, 1,250 per face-card rule, in the reference's order", () => {
    const rows = readJsonl(join(dir, "train/diverse-answer.jsonl"));
    expect(rows).toHaveLength(10_000);
    const per = new Map<string, number>();
    for (const r of rows) per.set(r.mapping, (per.get(r.mapping) ?? 0) + 1);
    expect([...per.keys()]).toEqual([...gp.DIVERSE_MAPPINGS]);
    expect([...per.values()].every((n) => n === 1250)).toBe(true);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    const r0 = rows[0]!;
    expect(r0.prompt).toEqual([{ role: "user", content: gp.generateTask("train-diverse", 0).prompt }]);
    expect(r0.completion).toEqual([{ role: "assistant", content: gp.generateTask("train-diverse", 0).answer }]);
    expect(r0).toMatchObject({
      reward: { op: "reward", env: "general-points", mode: "paper" },
      split: "train-diverse",
      env: "general-points@1",
    });
    // `reward` + {prompt, response} is an `env batch` request. A few hands (e.g. 3,3,8,8 under
    // J=Q=K=8) have only float-unsafe solutions, which the paper's verifier scores -1.
    let full = 0;
    for (const r of rows) {
      const res = handleBatchRequest({ ...r.reward, prompt: r.prompt[0].content, response: r.completion[0].content });
      if (res.reward === 5) full++;
      else expect(gp.allSolutions(gp.handFor(r.values)).every((f) => gp.scoreFormula(f, r.values).reward !== 5)).toBe(true);
    }
    expect(full).toBe(built.manifest.files.find((f) => f.name === "diverse-answer")!.fullReward);
    expect(full).toBeGreaterThan(9_980);
  });

  it("frozen: regenerated with the legacy wording, and the manifest says so", () => {
    const rows = readJsonl(join(dir, "train/frozen-answer.jsonl"));
    expect(rows).toHaveLength(10_000);
    expect(rows[0]!.prompt[0].content).toContain("'J', 'Q', and 'K' count as '10'");
    expect(rows.every((r) => r.mapping === "all_10")).toBe(true);
    expect(built.manifest.notes.some((n) => n.includes("Chu et al.") && n.includes("regenerated"))).toBe(true);
    expect(built.manifest.template).toBe("chat");
  });

  it("evaluation: 500 fixed tasks per split, with cards, values, rule and solution", () => {
    const id = readJsonl(join(dir, "eval/id.jsonl"));
    expect(id).toHaveLength(500);
    // docs/gp-rules.md#splits fixture: ID task 0 redraws to 2, 7, Q, 2.
    expect(id[0]).toMatchObject({ split: "id", index: 0, seed: 42, cards: ["2", "7", "Q", "2"], values: [2, 7, 10, 2] });
    const fake = readJsonl(join(dir, "eval/fake.jsonl"));
    expect(fake[0]!.reward.values).toEqual(fake[0]!.values);
    expect(built.manifest.files.filter((f) => f.kind === "eval").map((f) => [f.name, f.rows])).toEqual(
      ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake"].map((s) => [s, 500]),
    );
  });

  it("overlap: every ID task's value multiset and rule occurs in the frozen training data; the other splits do not", () => {
    const o = built.manifest.overlap.splits;
    expect(o.id!.inTrain).toBe(500);
    expect(o.id!.bySet.frozen).toBe(500);
    for (const s of ["all-5", "all-7", "all-12", "regular", "large", "five", "fake"]) expect(o[s]!.inTrain).toBe(0);
  });

  it("leaks: remove leaves no evaluation task in the training data", async () => {
    const d = mkdtempSync(join(tmpdir(), "ty-gp-clean-"));
    const spec = resolveDatasetSpec({
      task: "general-points",
      train: { arms: [...answerArms] },
      eval: { splits: ["id", "all-5"] },
      leaks: "remove",
    });
    const r = await buildDataset(spec, { store: new LocalArtifactStore(d), prefix: "" });
    expect(r.manifest.overlap.splits.id).toMatchObject({ inTrain: 0, inTrainBefore: 500 });
    const evalHashes = new Set(readJsonl(join(d, "eval/id.jsonl")).map((x) => x.stateHash));
    for (const f of ["train/frozen-answer.jsonl", "train/diverse-answer.jsonl"]) {
      const rows = readJsonl(join(d, f));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.some((x) => evalHashes.has(x.stateHash))).toBe(false);
    }
    expect(r.manifest.overlap.removed.frozen).toBe(built.manifest.overlap.splits.id!.trainRows.frozen);
  }, 180_000);
});
