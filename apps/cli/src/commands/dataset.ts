/**
 * `trainyard dataset build` and `trainyard dataset show`: the paper's datasets without the
 * service (no database, no Redis).
 *
 *   trainyard dataset build --preset paper-sokoban --out DIR     every training arm + evaluation split
 *   trainyard dataset build SPEC.json --out DIR                  a dataset spec, or an experiment spec / preset request
 *   trainyard dataset show DIR --split id --n 3                  rows drawn for a person
 *
 * DIR/manifest.json lists every file with its task, arm or split, rows, bytes and SHA-256. A
 * teacher's API key is read here, at the edge, from the variable named by `cot.teacher.apiKeyEnv`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { PresetName, expandExperimentRequest } from "@trainyard/contracts";
import {
  LocalArtifactStore,
  buildDataset,
  datasetSpecFromExperiment,
  parseManifest,
  readRows,
  renderRows,
  resolveDatasetSpec,
  type DatasetSpec,
  type Manifest,
} from "@trainyard/datasets";
import { CliError } from "../errors.js";
import { ProgressBar } from "../progress.js";

function positiveInt(flag: string, v: string, min = 1): number {
  if (!/^\d{1,9}$/.test(v) || Number(v) < min) throw new CliError(`${flag}: expected an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/** A dataset spec from a file: a DatasetSpec, or an experiment spec / `{ "preset": ... }` request. */
function specFromFile(path: string): DatasetSpec {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`SPEC.json: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const o = body as Record<string, unknown>;
    const experiment = typeof o === "object" && o !== null && ("preset" in o || "arms" in o || "model" in o);
    return experiment ? datasetSpecFromExperiment(expandExperimentRequest(body)) : resolveDatasetSpec(body);
  } catch (e) {
    throw new CliError(`SPEC.json: ${(e as Error).message}`);
  }
}

function specFromPreset(name: string): DatasetSpec {
  const p = PresetName.safeParse(name);
  if (!p.success) throw new CliError(`--preset: unknown preset '${name}'; one of: ${PresetName.options.join(", ")}`);
  return datasetSpecFromExperiment(expandExperimentRequest({ preset: p.data }));
}

function summary(m: Manifest, dir: string): string {
  const out = [`${m.task} dataset ${m.specHash.slice(0, 12)} (${m.env}, template ${m.template}) → ${join(dir, "manifest.json")}`];
  for (const f of m.files) {
    out.push(
      `  ${f.path.padEnd(28)} ${f.kind.padEnd(5)} ${f.name.padEnd(15)} ${String(f.rows).padStart(6)} rows  sha256 ${f.sha256.slice(0, 16)}…`,
    );
  }
  const leaks = Object.entries(m.overlap.splits).filter(([, s]) => s.inTrainBefore > 0);
  out.push(
    leaks.length
      ? `  overlap (${m.overlap.policy}): ${leaks.map(([n, s]) => `${n} ${s.inTrainBefore}/${s.items}${m.overlap.policy === "remove" ? " removed" : " in training data"}`).join(", ")}`
      : "  overlap: no evaluation item occurs in the training data",
  );
  for (const [arm, a] of Object.entries(m.cot.acceptance ?? {}))
    out.push(`  teacher ${arm}: accepted ${a.accepted}/${a.prompts} (${(a.rate * 100).toFixed(1)}%)`);
  return out.join("\n") + "\n";
}

export function registerDataset(program: Command): void {
  const ds = program.command("dataset").description("build and inspect the paper's training and evaluation sets (no service needed)");

  ds.command("build")
    .description("build every training arm and evaluation split of a spec or preset into DIR (manifest.json last)")
    .argument("[spec]", "SPEC.json: a dataset spec, or an experiment spec / preset request")
    .option("--preset <name>", `a preset instead of SPEC.json (${PresetName.options.join(", ")})`)
    .requiredOption("--out <dir>", "output directory")
    .option("--no-reuse", "rebuild even if DIR already holds an intact build of the same spec")
    .action(async (file: string | undefined, opts: { preset?: string; out: string; reuse: boolean }) => {
      if (file && opts.preset) throw new CliError("--preset: give SPEC.json or --preset, not both");
      if (!file && !opts.preset) throw new CliError("--preset: give SPEC.json or --preset NAME");
      const spec = file ? specFromFile(file) : specFromPreset(opts.preset!);
      const keyEnv = spec.cot.teacher?.apiKeyEnv;
      const apiKey = keyEnv ? process.env[keyEnv] : undefined;
      if (keyEnv && !apiKey) throw new CliError(`SPEC.json: cot.teacher.apiKeyEnv names ${keyEnv}, which is not set`);
      const bar = new ProgressBar(`${spec.task}`);
      const ac = new AbortController();
      const onSigint = () => ac.abort(new CliError("interrupted", 130));
      process.once("SIGINT", onSigint);
      try {
        const r = await buildDataset(spec, {
          store: new LocalArtifactStore(opts.out),
          prefix: "",
          signal: ac.signal,
          reuse: opts.reuse,
          onProgress: (f, phase) => bar.update(f, phase),
          ...(apiKey ? { teacher: { apiKey } } : {}),
        });
        bar.done(r.reused ? "reused" : "done");
        process.stdout.write(summary(r.manifest, opts.out));
      } catch (e) {
        if (e instanceof CliError) throw e;
        const err = e as { code?: string; message: string };
        throw new CliError(err.code ? `${err.code}: ${err.message}` : err.message, 1);
      } finally {
        process.off("SIGINT", onSigint);
      }
    });

  ds.command("show")
    .description("print rows of a built dataset for a person: boards drawn, cards and rule shown")
    .argument("<dir>", "a directory written by `dataset build`")
    .option("--split <name>", "an evaluation split (id, alpha, all-5, ...) or a training arm (frozen-answer, diverse-cot, ...)")
    .option("--file <path>", "a file listed in the manifest, e.g. train/frozen-answer.jsonl")
    .option("--n <count>", "rows to show", "3")
    .option("--offset <row>", "first row", "0")
    .action(async (dir: string, opts: { split?: string; file?: string; n: string; offset: string }) => {
      let m: Manifest;
      try {
        m = parseManifest(readFileSync(join(dir, "manifest.json"), "utf8"));
      } catch (e) {
        throw new CliError(`<dir>: no readable manifest.json in ${dir} (${(e as Error).message.split("\n")[0]})`);
      }
      const n = positiveInt("--n", opts.n);
      const offset = positiveInt("--offset", opts.offset, 0);
      if (opts.split && opts.file) throw new CliError("--file: give --split or --file, not both");
      const f = opts.file
        ? m.files.find((x) => x.path === opts.file)
        : opts.split
          ? (m.files.find((x) => x.kind === "eval" && x.name === opts.split) ?? m.files.find((x) => x.name === opts.split))
          : m.files[0];
      if (!f) {
        const flag = opts.file ? "--file" : "--split";
        const known = opts.file ? m.files.map((x) => x.path) : m.files.map((x) => x.name);
        throw new CliError(`${flag}: '${opts.file ?? opts.split}' is not in ${dir}; one of: ${known.join(", ")}`);
      }
      const rows = await readRows(new LocalArtifactStore(dir), "", f, { offset, limit: n });
      process.stdout.write(renderRows(m, f, rows, offset) + "\n");
    });
}
