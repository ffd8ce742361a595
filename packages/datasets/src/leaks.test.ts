/** The leak index holds evaluation hashes only, whatever the training set's size; leak removal drops the same rows as before. */
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { LeakIndex, LocalArtifactStore, buildDataset, resolveDatasetSpec, type DatasetSpecInput } from "./index.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("LeakIndex", () => {
  it("keeps the evaluation hashes and fixed-size counters only, however many training rows stream past", () => {
    // 300 evaluation items over 250 distinct states, each with a 10 KB row the index must not keep.
    const item = (i: number) => ({ id: `e${i}`, hash: sha(`eval ${i % 250}`), row: { prompt: "x".repeat(10_000) } });
    const evals = new Map([
      ["id", Array.from({ length: 150 }, (_, i) => item(i))],
      ["fake", Array.from({ length: 150 }, (_, i) => item(150 + i))],
    ]);
    const index = new LeakIndex("remove", evals, ["frozen", "diverse"]);
    expect(index.size).toBe(250);
    expect([...index.hashes()].every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);

    // The index's whole state, as V8 serializes it: about 70 bytes per distinct hash (key and counters).
    const bytes = () => serialize(index).length;
    const before = bytes();
    expect(before).toBeLessThan(250 * 100 + 4096); // the rows alone would be 3 MB

    let dropped = 0;
    for (let i = 0; i < 100_000; i++) if (index.count("frozen", sha(`train ${i}`))) dropped++;
    for (const e of evals.get("id")!.slice(0, 10)) if (index.count("frozen", e.hash)) dropped++;
    expect(dropped).toBe(10);
    // 100,010 training rows seen: only counters changed (a training hash kept would cost 64+ bytes).
    expect(bytes() - before).toBeLessThan(64);
    expect(index.report().removed).toEqual({ frozen: 10, diverse: 0 });
  });

  it("removes the same training rows as the build that held every item (pinned), and only those", async () => {
    const input = (leaks: "keep" | "remove"): DatasetSpecInput => ({
      task: "general-points",
      train: {
        size: 400,
        arms: [
          { data: "frozen", target: "answer" },
          { data: "diverse", target: "answer" },
        ],
      },
      eval: { size: 40, splits: ["id", "all-5"] },
      leaks,
    });
    const build = async (leaks: "keep" | "remove") => {
      const dir = mkdtempSync(join(tmpdir(), `ty-leaks-${leaks}-`));
      const r = await buildDataset(resolveDatasetSpec(input(leaks)), { store: new LocalArtifactStore(dir), prefix: "" });
      const lines = (path: string) => readFileSync(join(dir, path), "utf8").trim().split("\n");
      return { r, lines };
    };
    const removed = await build("remove");
    // Figures and SHA-256s of the build before streaming (main at 2e41aea, which applied the policy to in-memory sets).
    expect(removed.r.manifest.overlap).toEqual({
      key: "stateHash",
      policy: "remove",
      splits: {
        id: { items: 40, inTrain: 0, inTrainBefore: 36, bySet: { frozen: 36, diverse: 10 }, trainRows: { frozen: 87, diverse: 9 } },
        "all-5": { items: 40, inTrain: 0, inTrainBefore: 0, bySet: { frozen: 0, diverse: 0 }, trainRows: { frozen: 0, diverse: 0 } },
      },
      removed: { frozen: 87, diverse: 9 },
    });
    expect(removed.r.manifest.files.map((f) => [f.path, f.rows, f.sha256])).toEqual([
      ["train/frozen-answer.jsonl", 313, "008879841bf3b405559b2668397cfe8b8623d5ebb2af8e551d9b5614a41385f4"],
      ["train/diverse-answer.jsonl", 391, "f447213f6c82930b893fbdabae06b1c6e55ca6461df934e38b1bf9aaed4b76fe"],
      ["eval/id.jsonl", 40, "ef5e46f88099419c54566dd9c7db5e636afd1f81938eb13926b2465dbad87840"],
      ["eval/all-5.jsonl", 40, "f3619a6da4face03a96aca3ab68ad8253c7afba32dc50a282708cf59a932cf77"],
    ]);

    // And the semantics: `remove` writes exactly the `keep` rows whose state is in no evaluation split.
    const kept = await build("keep");
    const stateOf = (line: string) => (JSON.parse(line) as { stateHash: string }).stateHash;
    const evalStates = new Set(["eval/id.jsonl", "eval/all-5.jsonl"].flatMap((p) => kept.lines(p).map(stateOf)));
    for (const path of ["train/frozen-answer.jsonl", "train/diverse-answer.jsonl"]) {
      expect(removed.lines(path)).toEqual(kept.lines(path).filter((l) => !evalStates.has(stateOf(l))));
    }
    const inTrain = (b: typeof kept) => b.lines("eval/id.jsonl").filter((l) => (JSON.parse(l) as { inTrain: boolean }).inTrain).length;
    expect([inTrain(kept), inTrain(removed)]).toEqual([36, 0]);
  });
});
