/**
 * The paper's Sokoban sets, built for real: 3,982 answer-only rows whose labels replay to
 * success, the diverse set's vocabularies, the leak between the paper's training and
 * evaluation seeds, and `leaks: "remove"`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleBatchRequest, sokoban } from "@trainyard/envs";
import { LocalArtifactStore, buildDataset, presetDatasetSpec, resolveDatasetSpec, type BuildResult, type Manifest } from "./index.js";

type Row = Record<string, any>;
const readJsonl = (path: string): Row[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

let dir: string;
let built: BuildResult;
const file = (name: string) => readJsonl(join(dir, name));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ty-sokoban-"));
  built = await buildDataset(presetDatasetSpec("paper-sokoban"), { store: new LocalArtifactStore(dir), prefix: "" });
}, 180_000);

describe("paper Sokoban training sets", () => {
  it("answer-only: 3,982 state–action rows whose labels replay every level to success", () => {
    const rows = file("train/frozen-answer.jsonl");
    expect(rows).toHaveLength(3982);
    const levels = new Map<number, Row[]>();
    for (const r of rows) levels.set(r.seed, [...(levels.get(r.seed) ?? []), r]);
    expect(levels.size).toBe(1000); // every training level 42–1041 is solvable
    for (const [, states] of levels) {
      const actions = states.map((s) => sokoban.actionId(s.answer)!);
      const end = sokoban.play(sokoban.parseRows(states[0]!.rows), actions);
      expect(end.success).toBe(true);
      expect(states.map((s) => s.step)).toEqual(states.map((_, i) => i));
    }
    const r0 = rows[0]!;
    expect(r0.prompt).toHaveLength(802); // docs/prompts.md#prompt-quirks: base training prompt
    expect(r0.completion).toBe("</think> <answer> Right </answer>\n");
    expect(r0).toMatchObject({
      reward: { op: "reward", env: "sokoban", answerId: 4 },
      split: "train",
      data: "frozen",
      target: "answer",
      env: "sokoban@1",
      seed: 42,
    });
    // `reward` + {prompt, response} is an `env batch` request, and it pays full reward.
    for (const r of rows.slice(0, 200))
      expect(handleBatchRequest({ ...r.reward, prompt: r.prompt, response: r.completion })).toEqual({ ok: true, reward: 1 });
  });

  it("diverse: the same states, each with its own random-word vocabulary (row 0 = tree, fix, jade, freedom)", () => {
    const frozen = file("train/frozen-answer.jsonl");
    const diverse = file("train/diverse-answer.jsonl");
    expect(diverse.map((r) => r.stateHash)).toEqual(frozen.map((r) => r.stateHash));
    expect(diverse[0]!.labels).toEqual(["tree", "fix", "jade", "freedom"]);
    expect(diverse[1]!.labels).toEqual(["eagle", "lime", "mountain", "butterfly"]);
    expect(diverse[0]!.prompt).toHaveLength(868);
    expect(diverse[0]!.completion).toBe("</think> <answer> freedom </answer>\n");
    for (const i of [0, 1, 2209, 3493, 3981]) expect(diverse[i]!.labels).toEqual([...sokoban.vocabulary(i)]);
    // Matches envs' own expansion row for row.
    const pairs = [...sokoban.trainingPairs({ diverse: true })];
    expect(diverse.map((r) => r.prompt)).toEqual(pairs.map((p) => p.prompt));
  });

  it("solver CoT: same prompts, reasoning ending in the answer label; the manifest counts full-reward rows", () => {
    const cot = file("train/diverse-cot.jsonl");
    expect(cot).toHaveLength(3982);
    expect(cot[0]!.completion.endsWith("</think> <answer> freedom </answer>")).toBe(true);
    const m = built.manifest;
    const f = (name: string) => m.files.find((x) => x.name === name)!;
    expect(f("frozen-answer")).toMatchObject({ rows: 3982, fullReward: 3982, producer: "solver", kind: "train", task: "sokoban" });
    // Row 2209 repeats a word ("mouse" twice): the reward maps it to its later position (a reference quirk).
    expect(f("diverse-answer").fullReward).toBe(3981);
    expect(m.template).toBe("raw");
  });
});

describe("paper Sokoban evaluation sets and the overlap report", () => {
  it("one row per level with setting, seed, board, plan length, first-turn prompt and state hash", () => {
    const id = file("eval/id.jsonl");
    expect(id).toHaveLength(100);
    expect(id[0]).toMatchObject({ split: "id", setting: "id", seed: 123, optimalLength: sokoban.generateItem("id", 123).optimal.length });
    expect(
      id[0]!.prompt.endsWith(
        "Decide the next action:\\\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>",
      ),
    ).toBe(true);
    expect(file("eval/large.jsonl")[0]!.seed).toBe(223);
    expect(file("eval/fake.jsonl").map((r) => r.seed)).toEqual(Array.from({ length: 100 }, (_, i) => 823 + i));
  });

  it("reports that the paper's 6×6 evaluation levels are training levels", () => {
    const o = built.manifest.overlap;
    const inTrain = Object.fromEntries(Object.entries(o.splits).map(([k, v]) => [k, v.inTrain]));
    expect(inTrain).toEqual({ id: 100, alpha: 100, num: 100, rand: 100, large: 0, "two-boxes": 0, complex: 0, fake: 100 });
    expect(o.policy).toBe("keep");
    expect(file("eval/alpha.jsonl").every((r) => r.inTrain === true)).toBe(true);
    expect(built.manifest.notes.some((n) => n.includes("id 100/100"))).toBe(true);
  });

  it("leaks: remove drops every training state that occurs in an evaluation split", async () => {
    const d = mkdtempSync(join(tmpdir(), "ty-sokoban-clean-"));
    const spec = resolveDatasetSpec({ task: "sokoban", train: { arms: [{ data: "frozen", target: "answer" }] }, leaks: "remove" });
    const r = await buildDataset(spec, { store: new LocalArtifactStore(d), prefix: "" });
    const m: Manifest = r.manifest;
    expect(Object.values(m.overlap.splits).every((s) => s.inTrain === 0)).toBe(true);
    const evalHashes = new Set(m.files.filter((f) => f.kind === "eval").flatMap((f) => readJsonl(join(d, f.path)).map((x) => x.stateHash)));
    const train = readJsonl(join(d, "train/frozen-answer.jsonl"));
    expect(train.some((x) => evalHashes.has(x.stateHash))).toBe(false);
    expect(train.length + (m.overlap.removed.frozen ?? 0)).toBe(3982);
    expect(m.overlap.removed.frozen).toBeGreaterThan(0);
  }, 180_000);
});
