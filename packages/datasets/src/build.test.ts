/** Reproducibility, reuse, cancellation, progress and the uploaded frozen GP set. */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalArtifactStore, buildDataset, datasetKey, readRows, renderRows, resolveDatasetSpec, type DatasetSpecInput } from "./index.js";

const small: DatasetSpecInput = { task: "sokoban", train: { size: 20 }, eval: { size: 5, splits: ["id", "two-boxes", "fake"] } };
const tmp = () => mkdtempSync(join(tmpdir(), "ty-build-"));

describe("buildDataset", () => {
  it("builds byte-identical files and manifests from the same spec; one changed seed changes the hash", async () => {
    const [a, b] = [tmp(), tmp()];
    const ra = await buildDataset(resolveDatasetSpec(small), { store: new LocalArtifactStore(a), prefix: "" });
    const rb = await buildDataset(resolveDatasetSpec(small), { store: new LocalArtifactStore(b), prefix: "" });
    expect(readFileSync(join(a, "manifest.json"), "utf8")).toBe(readFileSync(join(b, "manifest.json"), "utf8"));
    for (const f of ra.manifest.files) expect(readFileSync(join(a, f.path))).toEqual(readFileSync(join(b, f.path)));
    expect(ra.manifest.files.map((f) => f.path)).toEqual([
      "train/frozen-answer.jsonl",
      "train/diverse-answer.jsonl",
      "train/frozen-cot.jsonl",
      "train/diverse-cot.jsonl",
      "eval/id.jsonl",
      "eval/two-boxes.jsonl",
      "eval/fake.jsonl",
    ]);
    expect(readFileSync(join(a, "manifest.json"), "utf8")).not.toMatch(/20\d\d-\d\d-\d\dT/); // no timestamps
    const rc = await buildDataset(resolveDatasetSpec({ ...small, train: { size: 20, seedStart: 43 } }), {
      store: new LocalArtifactStore(tmp()),
      prefix: "",
    });
    expect(rc.specHash).not.toBe(ra.specHash);
    expect(rb.specHash).toBe(ra.specHash);
  });

  it("reuses an intact build of the same spec and rebuilds a damaged one", async () => {
    const root = tmp();
    const store = new LocalArtifactStore(root);
    const spec = resolveDatasetSpec(small);
    const first = await buildDataset(spec, { store, prefix: datasetKey("x") });
    const again = await buildDataset(spec, { store, prefix: datasetKey("x") });
    expect(again.reused).toBe(true);
    expect(again.manifest).toEqual(first.manifest);
    writeFileSync(join(root, "datasets/x/train/frozen-answer.jsonl"), "tampered\n");
    const repaired = await buildDataset(spec, { store, prefix: datasetKey("x") });
    expect(repaired.reused).toBe(false);
    expect(await store.hash("datasets/x/train/frozen-answer.jsonl")).toBe(first.manifest.files[0]!.sha256);
  });

  it("reports monotonic progress and stops on abort without writing a manifest", async () => {
    const seen: number[] = [];
    await buildDataset(resolveDatasetSpec(small), {
      store: new LocalArtifactStore(tmp()),
      prefix: "",
      onProgress: (f) => void seen.push(f),
    });
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((f, i) => i === 0 || f >= seen[i - 1]!)).toBe(true);

    const root = tmp();
    const ac = new AbortController();
    const run = buildDataset(resolveDatasetSpec({ task: "sokoban", train: { size: 400 } }), {
      store: new LocalArtifactStore(root),
      prefix: "",
      signal: ac.signal,
      onProgress: (f) => {
        if (f > 0.05) ac.abort(new Error("stop please"));
      },
    });
    await expect(run).rejects.toThrow("stop please");
    expect(await new LocalArtifactStore(root).stat("manifest.json")).toBeNull();
  });

  it("takes the frozen GP set from an uploaded JSONL file in the chat format", async () => {
    const root = tmp();
    const store = new LocalArtifactStore(root);
    const source = await buildDataset(
      resolveDatasetSpec({
        task: "general-points",
        train: { size: 16, arms: [{ data: "frozen", target: "answer" }] },
        eval: { splits: [] },
      }),
      { store, prefix: "src" },
    );
    const lines = readFileSync(join(root, "src/train/frozen-answer.jsonl"), "utf8").trim().split("\n");
    const wrong = JSON.parse(lines[1]!) as { completion: { content: string }[] };
    wrong.completion[0]!.content = '{"formula": "1+1"}';
    await store.put("uploads/chu.jsonl", [lines[0], JSON.stringify(wrong), ...lines.slice(2)].join("\n") + "\n");
    const uploaded = (uri: string) =>
      resolveDatasetSpec({
        task: "general-points",
        train: {
          size: 10,
          frozenSource: { kind: "upload", uri },
          arms: [
            { data: "frozen", target: "answer" },
            { data: "frozen", target: "cot" },
          ],
        },
        eval: { splits: ["id"], size: 5 },
      });
    const spec = uploaded("artifact://uploads/chu.jsonl");
    const r = await buildDataset(spec, { store, prefix: "out" });
    const f = r.manifest.files.find((x) => x.name === "frozen-answer")!;
    expect(f).toMatchObject({ rows: 10, producer: "upload", fullReward: 10 });
    expect(r.manifest.notes.some((n) => n.includes("uploads/chu.jsonl") && n.includes("1 rows without full reward"))).toBe(true);
    expect(source.manifest.files[0]!.rows).toBe(16);
    const rows = await readRows(store, "out", f, { limit: 2 });
    expect(rows[1]!.index).toBe(2); // line 2 (the broken answer) was skipped
    expect(renderRows(r.manifest, f, rows)).toContain("cards   [");

    await store.put("uploads/bad.jsonl", `${lines[0]}\n{"prompt": "x"}\n`);
    await expect(buildDataset(uploaded("uploads/bad.jsonl"), { store, prefix: "bad" })).rejects.toMatchObject({
      code: "TY_ERR_DATASET_BAD_UPLOAD",
      message: expect.stringContaining("line 2"),
    });
  });
});
