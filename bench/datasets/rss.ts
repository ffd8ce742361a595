/**
 * Peak memory of a dataset build (run: `npx tsx bench/datasets/rss.ts [levels...]`, default
 * 1000 100000).
 *
 * Each size is the real `buildDataset` of a Sokoban training set with the default four files
 * (frozen/diverse × answer/CoT) into a temporary artifact store, in a fresh child process whose
 * peak resident set (getrusage maxrss) is printed next to the rows and bytes written. Files are
 * streamed to disk, so the peak grows only with the items the leak policy needs in memory, not
 * with the files (before streaming: 5,000 levels peaked at 353 MiB, and one file passed Node's
 * string limit near 98k levels).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { LocalArtifactStore, buildDataset, resolveDatasetSpec } from "../../packages/datasets/src/index.js";

const MiB = 1024 * 1024;

if (process.env.TY_RSS_CHILD) {
  const levels = Number(process.env.TY_RSS_CHILD);
  const root = mkdtempSync(join(tmpdir(), "ty-bench-rss-"));
  try {
    const spec = resolveDatasetSpec({ task: "sokoban", train: { size: levels }, eval: { splits: [] } });
    const t0 = performance.now();
    const r = await buildDataset(spec, { store: new LocalArtifactStore(root), prefix: "", reuse: false });
    const bytes = r.manifest.files.reduce((n, f) => n + f.bytes, 0);
    // maxRSS is in KiB.
    const peak = (process.resourceUsage().maxRSS * 1024) / MiB;
    console.log(
      `${String(levels).padStart(7)} levels  ${String(r.rows).padStart(7)} rows  ${(bytes / MiB).toFixed(1).padStart(7)} MiB written  peak RSS ${peak.toFixed(0).padStart(5)} MiB  ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
} else {
  const sizes = process.argv.slice(2).map(Number);
  const self = fileURLToPath(import.meta.url);
  for (const n of sizes.length ? sizes : [1000, 100_000]) {
    const r = spawnSync(process.execPath, [...process.execArgv, self], {
      env: { ...process.env, TY_RSS_CHILD: String(n) },
      stdio: "inherit",
    });
    if (r.status !== 0) console.log(`${String(n).padStart(7)} levels  FAILED (exit ${r.status ?? r.signal})`);
  }
}
