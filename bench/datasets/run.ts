/**
 * Dataset build throughput (run: `npx tsx bench/datasets/run.ts`).
 *
 * Goal (issue 4): the paper's full Sokoban and General Points training sets, answer-only and
 * solver-CoT for both frozen and diverse data (8 files, 55,928 rows), in under 10 s together.
 * Each build is the real `buildDataset` into a temporary artifact store (files written and
 * hashed, manifest last, per-row verification with the env's score), after one warm-up build.
 * Wall time and process CPU time are both printed: the development machine is shared, so CPU
 * time is the steadier figure. The evaluation sets are timed on their own line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalArtifactStore, buildDataset, resolveDatasetSpec, type DatasetSpecInput } from "../../packages/datasets/src/index.js";

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed(name: string, input: DatasetSpecInput, root: string): Promise<{ wall: number; cpu: number; rows: number }> {
  const spec = resolveDatasetSpec(input);
  const store = new LocalArtifactStore(join(root, name));
  const w0 = performance.now();
  const c0 = cpu();
  const r = await buildDataset(spec, { store, prefix: "", reuse: false });
  const out = { wall: (performance.now() - w0) / 1000, cpu: cpu() - c0, rows: r.rows };
  console.log(
    `${name.padEnd(28)} ${String(out.rows).padStart(6)} rows  wall ${out.wall.toFixed(2).padStart(5)} s  cpu ${out.cpu.toFixed(2).padStart(5)} s  ${Math.round(
      out.rows / out.wall,
    )
      .toString()
      .padStart(6)} rows/s`,
  );
  return out;
}

const root = mkdtempSync(join(tmpdir(), "ty-bench-datasets-"));
try {
  const train = (task: "sokoban" | "general-points"): DatasetSpecInput => ({ task, eval: { splits: [] } });
  // Warm-up: module loading, JIT and the GP solver's memo table are not what we measure.
  await buildDataset(resolveDatasetSpec({ task: "sokoban", train: { size: 50 }, eval: { splits: [] } }), {
    store: new LocalArtifactStore(join(root, "warm")),
    prefix: "",
    reuse: false,
  });
  const runs = [];
  runs.push(await timed("sokoban train (4 files)", train("sokoban"), root));
  runs.push(await timed("general-points train (4 files)", train("general-points"), root));
  const wall = runs.reduce((s, r) => s + r.wall, 0);
  const cpuS = runs.reduce((s, r) => s + r.cpu, 0);
  const rows = runs.reduce((s, r) => s + r.rows, 0);
  console.log(
    `${"both training sets".padEnd(28)} ${String(rows).padStart(6)} rows  wall ${wall.toFixed(2).padStart(5)} s  cpu ${cpuS.toFixed(2).padStart(5)} s  goal < 10 s: ${wall < 10 ? "met" : "NOT met"} (wall)`,
  );
  await timed("sokoban eval (8 splits)", { task: "sokoban", train: { arms: [] } }, root);
  await timed("general-points eval (8 splits)", { task: "general-points", train: { arms: [] } }, root);
} finally {
  rmSync(root, { recursive: true, force: true });
}
