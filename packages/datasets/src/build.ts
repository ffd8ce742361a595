/**
 * One dataset build: evaluation splits and their leak index, the training files per arm
 * (answer-only from the solver; CoT from the solver or a teacher), each written as its items are
 * generated with the leak policy applied row by row, the evaluation files, then `manifest.json`
 * last. Memory is bounded by the evaluation sets, not the training set (teacher variants aside).
 *
 * Layout under `prefix`: `train/<data>-<target>.jsonl`, `eval/<split>.jsonl`, `manifest.json`
 * (+ `.work/` for the teacher journal, not listed). Rows are the TRL prompt–completion format:
 * raw text for Sokoban (prompts already carry the chat wrapper), message lists for GP; `reward`
 * plus `{prompt, response}` is an `env batch` reward request.
 *
 * Idempotent: with `reuse`, an existing manifest of the same spec whose files still hash to
 * their recorded SHA-256 is returned as is; otherwise every file is rewritten (atomically).
 */
import { envRef } from "@trainyard/envs";
import { emptySet } from "./errors.js";
import { LeakIndex, type Data } from "./leaks.js";
import { BUILT_WITH, MANIFEST_FORMAT, parseManifest, type Manifest, type ManifestFile } from "./manifest.js";
import { armName, datasetSpecHash, hashedSpec, type DatasetSpec } from "./spec.js";
import type { ArtifactStore } from "./store.js";
import { datasetTask } from "./tasks/index.js";
import { completionField, promptField, type BuildContext, type EvalEntry, type TaskSource, type TrainEntry } from "./tasks/types.js";
import type { TeacherDeps } from "./teacher/clients.js";
import { runTeacher, type TeacherRun } from "./teacher/produce.js";
import { Ticker, type ProgressFn } from "./ticker.js";
import { writeNotes } from "./notes.js";

export interface BuildOptions {
  store: ArtifactStore;
  /** Key prefix of the dataset directory: `datasetKey(hash)` in the service, "" for a bare `--out DIR`. */
  prefix: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  log?: (message: string) => void | Promise<void>;
  teacher?: TeacherDeps;
  /** Return an intact earlier build of the same spec instead of rebuilding (default true). */
  reuse?: boolean;
}

export interface BuildResult {
  manifest: Manifest;
  specHash: string;
  /** Rows over every file. */
  rows: number;
  reused: boolean;
  teacher?: TeacherRun["stats"];
}

/** Artifact-store key of an experiment dataset: content-addressed by its spec hash. */
export const datasetKey = (specHash: string) => `datasets/${specHash}`;

const join = (prefix: string, path: string) => (prefix ? `${prefix}/${path}` : path);
/** Lines per write when a file is streamed: big enough for few syscalls, small enough to stay bounded. */
const ROWS_PER_CHUNK = 256;

export function taskSource(spec: DatasetSpec): TaskSource {
  return datasetTask(spec.task).source(spec);
}

async function existing(store: ArtifactStore, prefix: string, hash: string, env: string): Promise<Manifest | null> {
  const key = join(prefix, "manifest.json");
  if (!(await store.stat(key))) return null;
  let m: Manifest;
  try {
    m = parseManifest((await store.get(key)).toString("utf8"));
  } catch {
    return null;
  }
  if (m.specHash !== hash || m.builtWith !== BUILT_WITH || m.env !== env) return null;
  for (const f of m.files) {
    if (!(await store.stat(join(prefix, f.path))) || (await store.hash(join(prefix, f.path))) !== f.sha256) return null;
  }
  return m;
}

export async function buildDataset(spec: DatasetSpec, opts: BuildOptions): Promise<BuildResult> {
  const { store, prefix } = opts;
  const signal = opts.signal ?? new AbortController().signal;
  const hash = datasetSpecHash(spec);
  const source = taskSource(spec);
  const ref = envRef(source.env);
  const log = async (m: string) => void (await opts.log?.(m));

  if (opts.reuse !== false) {
    const m = await existing(store, prefix, hash, ref);
    if (m) {
      await log(`dataset ${hash.slice(0, 12)} already built and intact: reusing it`);
      await opts.onProgress?.(1, "reused");
      return { manifest: m, specHash: hash, rows: m.files.reduce((n, f) => n + f.rows, 0), reused: true };
    }
  }

  const ticker = new Ticker(signal, opts.onProgress);
  const notes: string[] = [];
  const ctx: BuildContext = { spec, store, ticker, notes };
  const datas = [...new Set(spec.train.arms.map((a) => a.data))];
  const teacherArms = spec.cot.producer === "teacher" && spec.cot.teacher ? spec.train.arms.filter((a) => a.target === "cot") : [];
  const teacherDatas = [...new Set(teacherArms.map((a) => a.data))];
  const evalUnits = spec.eval.splits.reduce((n, s) => n + s.size, 0);
  // Every file regenerates its variant's items as it writes them; teacher variants once more up front.
  const armUnits = spec.train.arms.reduce((n, a) => n + source.trainUnits(a.data), 0);
  ticker.plan(evalUnits + teacherDatas.reduce((n, d) => n + source.trainUnits(d), 0) + armUnits);

  ticker.setPhase("evaluation splits");
  const evals = new Map<string, EvalEntry[]>();
  for (const sp of spec.eval.splits) evals.set(sp.name, await source.evalSplit(sp, ctx));
  const leaks = new LeakIndex(spec.leaks, evals, datas);

  // A variant's training items as the leak policy keeps them, generated lazily: nothing but the
  // leak index's counters outlives a row. The first pass over a variant counts it for the report.
  const counted = new Set<Data>();
  const kept = async function* (data: Data): AsyncIterable<TrainEntry> {
    const first = !counted.has(data);
    for await (const e of source.train(data, ctx)) if (!(first ? leaks.count(data, e.hash) : leaks.drops(e.hash))) yield e;
    if (first) {
      counted.add(data);
      leaks.checkNotEmpty(data);
    }
  };

  // The teacher needs its prompts up front: only its variants are held in memory.
  const held = new Map<Data, TrainEntry[]>();
  let teacher: TeacherRun | null = null;
  if (teacherArms.length && spec.cot.teacher) {
    ticker.setPhase("training items");
    for (const d of teacherDatas) {
      const entries: TrainEntry[] = [];
      for await (const e of kept(d)) entries.push(e);
      held.set(d, entries);
    }
    const teacherUnits = teacherArms.reduce((n, a) => n + (held.get(a.data)?.length ?? 0), 0);
    ticker.planRemaining(armUnits + teacherUnits * 20);
    ticker.setPhase("teacher CoT");
    const arms = teacherArms.map((a) => ({ name: armName(a), entries: held.get(a.data) ?? [] }));
    const journal = store.pathFor(join(prefix, `.work/teacher-${hash.slice(0, 16)}.jsonl`));
    await log(`teacher CoT: ${arms.reduce((n, a) => n + a.entries.length, 0)} prompts, k=${spec.cot.teacher.samples}, journal ${journal}`);
    teacher = await runTeacher(spec.cot.teacher, source, arms, journal, opts.teacher ?? {}, signal, () => ticker.tick(20));
    for (const [arm, a] of Object.entries(teacher.acceptance)) {
      await log(`teacher CoT ${arm}: accepted ${a.accepted}/${a.prompts} (${(a.rate * 100).toFixed(1)}%), ${a.samples} samples`);
    }
  }

  ticker.setPhase("writing files");
  const files: ManifestFile[] = [];
  const template = source.template;
  // Each file is streamed to disk row by row as its items are generated (in chunks of
  // ROWS_PER_CHUNK lines): memory does not grow with the file or the training set, and no file is
  // ever one string (Node caps strings near 512 MiB).
  for (const data of datas) {
    const arms = spec.train.arms.filter((a) => a.data === data);
    for (const arm of arms) {
      const name = armName(arm);
      const acc = teacher?.accepted.get(name) ?? null;
      const list = held.get(data);
      if (acc && list && list.length > 0 && !list.some((e) => acc.get(e.id) !== undefined)) {
        throw emptySet(
          ["cot", "teacher"],
          `the teacher produced no accepted sample for ${name}: raise cot.teacher.samples or check the endpoint`,
        );
      }
      const count = { rows: 0, full: 0 };
      const rows = async function* (): AsyncIterable<string> {
        let chunk: string[] = [];
        for await (const e of list ?? kept(data)) {
          const text =
            arm.target === "answer"
              ? (e.answer ?? source.env.solverCompletion(e.item))
              : acc
                ? acc.get(e.id)
                : source.env.cotCompletion(e.item);
          if (text !== undefined) {
            if (source.env.score(e.item, text).success) count.full++;
            count.rows++;
            chunk.push(
              `{"prompt":${JSON.stringify(promptField(template, e.item.prompt))},"completion":${JSON.stringify(completionField(template, text))},"reward":${JSON.stringify(e.reward)},${JSON.stringify(e.meta).slice(1, -1)},"target":"${arm.target}"}\n`,
            );
            if (chunk.length >= ROWS_PER_CHUNK) {
              yield chunk.join("");
              chunk = [];
            }
          }
          await ticker.tick(0);
        }
        if (list) await ticker.tick(source.trainUnits(data));
        if (chunk.length) yield chunk.join("");
      };
      const upload = arm.target === "answer" && arm.data === "frozen" && spec.train.frozenSource.kind === "upload";
      const producer = arm.target === "cot" ? (teacher ? "teacher" : "solver") : upload ? "upload" : "solver";
      const path = `train/${name}.jsonl`;
      const put = await store.put(join(prefix, path), rows());
      files.push({
        path,
        kind: "train",
        task: spec.task,
        name,
        data,
        target: arm.target,
        producer,
        rows: count.rows,
        bytes: put.bytes,
        sha256: put.sha256,
        fullReward: count.full,
      });
      await log(`wrote ${path}: ${count.rows} rows`);
    }
  }
  // Manifest order follows the spec's arm order, not the data grouping above.
  files.sort((a, b) => spec.train.arms.findIndex((x) => armName(x) === a.name) - spec.train.arms.findIndex((x) => armName(x) === b.name));
  for (const sp of spec.eval.splits) {
    const entries = evals.get(sp.name) ?? [];
    const rows = function* (): Iterable<string> {
      for (let i = 0; i < entries.length; i += ROWS_PER_CHUNK)
        yield entries
          .slice(i, i + ROWS_PER_CHUNK)
          .map((e) => JSON.stringify({ ...e.row, inTrain: leaks.inTrain(e.hash) }) + "\n")
          .join("");
    };
    const path = `eval/${sp.name}.jsonl`;
    const put = await store.put(join(prefix, path), rows());
    files.push({ path, kind: "eval", task: spec.task, name: sp.name, rows: entries.length, bytes: put.bytes, sha256: put.sha256 });
  }

  const report = leaks.report();
  const generator: Manifest["generator"] = { train: {}, eval: {} };
  for (const d of datas) generator.train[d] = source.trainSeeds(d);
  for (const sp of spec.eval.splits) generator.eval[sp.name] = { first: sp.seedStart, last: sp.seedStart + sp.size - 1, count: sp.size };
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    builtWith: BUILT_WITH,
    task: spec.task,
    env: ref,
    template,
    scoring: spec.scoring,
    specHash: hash,
    spec: hashedSpec(spec),
    generator,
    overlap: report,
    cot: { producer: spec.cot.producer, ...(teacher ? { acceptance: teacher.acceptance } : {}) },
    files,
    notes: writeNotes(spec, report, notes),
  };
  ticker.throwIfAborted();
  await store.put(join(prefix, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  ticker.finish();
  await ticker.report(true);
  const rows = files.reduce((n, f) => n + f.rows, 0);
  await log(`dataset ${hash.slice(0, 12)}: ${files.length} files, ${rows} rows`);
  return { manifest, specHash: hash, rows, reused: false, ...(teacher ? { teacher: teacher.stats } : {}) };
}
