/**
 * Peak memory of a dataset build (run: `npm run bench:datasets:rss -- [levels...]`, default
 * 1000 100000; the 1,000-level baseline always runs first).
 *
 * Each size is the real `buildDataset` of a Sokoban training set with the default four files
 * (frozen/diverse × answer/CoT) and the paper's eight evaluation splits under `leaks: "remove"`
 * (every evaluation board is checked against every training row) into a temporary artifact
 * store, in a fresh child process whose peak resident set (getrusage maxrss) is printed next to
 * the rows and bytes written, the wall time, and the ratio to the 1,000-level baseline of the same
 * invocation. Training items are generated as each file is written and the leak check keeps only
 * the evaluation hashes, so the peak should not grow with the training set: 182 MiB for 1,000
 * levels, 255 MiB (1.40×) for 100,000 (docs/performance-reference.md#dataset-build-memory; before,
 * with every item held, 223, 566 and 1,575 MiB for 1k, 5k and 20k levels).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { LocalArtifactStore, buildDataset, resolveDatasetSpec } from "../../packages/datasets/src/index.js";

const MiB = 1024 * 1024;
const BASELINE = 1000;

interface Run {
  levels: number;
  rows: number;
  bytes: number;
  peakMiB: number;
  wallS: number;
}

if (process.env.TY_RSS_CHILD) {
  const levels = Number(process.env.TY_RSS_CHILD);
  const root = mkdtempSync(join(tmpdir(), "ty-bench-rss-"));
  try {
    const spec = resolveDatasetSpec({ task: "sokoban", train: { size: levels }, leaks: "remove" });
    const t0 = performance.now();
    const r = await buildDataset(spec, { store: new LocalArtifactStore(root), prefix: "", reuse: false });
    const run: Run = {
      levels,
      rows: r.manifest.files.filter((f) => f.kind === "train").reduce((n, f) => n + f.rows, 0),
      bytes: r.manifest.files.reduce((n, f) => n + f.bytes, 0),
      // maxRSS is in KiB.
      peakMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
      wallS: (performance.now() - t0) / 1000,
    };
    console.log(`RESULT ${JSON.stringify(run)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
} else {
  const asked = process.argv.slice(2).map(Number);
  const sizes = [BASELINE, ...(asked.length ? asked : [100_000]).filter((n) => n !== BASELINE)];
  const self = fileURLToPath(import.meta.url);
  let base: Run | null = null;
  console.log("  levels  train rows  MiB written  peak RSS  × 1k peak   wall");
  for (const n of sizes) {
    const r = spawnSync(process.execPath, [...process.execArgv, self], {
      env: { ...process.env, TY_RSS_CHILD: String(n) },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * MiB,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (r.status !== 0 || !line) {
      console.log(`${String(n).padStart(8)}  FAILED (exit ${r.status ?? r.signal})`);
      continue;
    }
    const run = JSON.parse(line.slice("RESULT ".length)) as Run;
    base ??= run;
    console.log(
      `${String(run.levels).padStart(8)}  ${String(run.rows).padStart(10)}  ${(run.bytes / MiB).toFixed(1).padStart(11)}  ${run.peakMiB.toFixed(0).padStart(4)} MiB  ${(run.peakMiB / base.peakMiB).toFixed(2).padStart(9)}  ${run.wallS.toFixed(1).padStart(5)} s`,
    );
  }
}
