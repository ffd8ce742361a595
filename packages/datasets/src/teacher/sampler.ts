/**
 * Teacher rejection sampling (docs/prompts.md#chain-of-thought-data): for each prompt, draw up to k samples
 * in order and keep the FIRST that earns full reward under the env's own `score`; a prompt with
 * none is dropped. Stopping at the first accepted sample gives the same choice as drawing all k
 * and scanning them in order, at a fraction of the cost.
 *
 * Resumable: every finished prompt is appended to a journal (one JSON line: id, accepted text or
 * null, samples drawn) before it counts as done, so a build killed at any point and started
 * again skips the prompts already in the journal. A torn last line (killed mid-write) is ignored.
 * Rows are assembled in item order afterwards, so the output does not depend on which requests
 * finished first.
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { abortError } from "../errors.js";
import type { TeacherClient, TeacherPrompt } from "./clients.js";

export interface SampleJob {
  id: string;
  prompt: TeacherPrompt;
  accept(text: string): boolean;
}

export interface SampleOutcome {
  id: string;
  /** The accepted sample, or null when none of the k samples earned full reward. */
  text: string | null;
  /** 0-based index of the accepted sample. */
  sampleIndex: number | null;
  samples: number;
}

export class Journal {
  private readonly done = new Map<string, SampleOutcome>();
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as SampleOutcome;
        if (typeof o.id === "string" && typeof o.samples === "number") this.done.set(o.id, o);
      } catch {
        // A line torn by a kill mid-write: that prompt is simply sampled again.
      }
    }
  }
  get(id: string): SampleOutcome | undefined {
    return this.done.get(id);
  }
  get size(): number {
    return this.done.size;
  }
  /** Appends synchronously: once this returns, a killed process keeps the line (page cache). */
  record(o: SampleOutcome): void {
    appendFileSync(this.path, JSON.stringify(o) + "\n");
    this.done.set(o.id, o);
  }
}

export interface SamplerOptions {
  client: TeacherClient;
  k: number;
  perRequest: number;
  concurrency: number;
  journal: Journal;
  signal: AbortSignal;
  /** Called after every finished prompt (journalled or resumed). */
  onDone?: (o: SampleOutcome, resumed: boolean) => void | Promise<void>;
}

export interface SamplerResult {
  outcomes: Map<string, SampleOutcome>;
  resumed: number;
}

async function sampleOne(job: SampleJob, o: SamplerOptions, signal: AbortSignal): Promise<SampleOutcome> {
  let drawn = 0;
  while (drawn < o.k) {
    const n = Math.min(o.perRequest, o.k - drawn);
    const texts = await o.client.sample(job.prompt, n, signal);
    for (const t of texts.slice(0, n)) {
      drawn++;
      if (job.accept(t)) return { id: job.id, text: t, sampleIndex: drawn - 1, samples: drawn };
    }
    if (texts.length === 0) drawn += n; // a server that returns no choices still spends the samples
  }
  return { id: job.id, text: null, sampleIndex: null, samples: drawn };
}

/** Samples every job not yet in the journal with bounded concurrency; the first error stops all. */
export async function rejectionSample(jobs: readonly SampleJob[], o: SamplerOptions): Promise<SamplerResult> {
  const outcomes = new Map<string, SampleOutcome>();
  const todo: SampleJob[] = [];
  let resumed = 0;
  for (const job of jobs) {
    const prev = o.journal.get(job.id);
    if (prev) {
      outcomes.set(job.id, prev);
      resumed++;
      await o.onDone?.(prev, true);
    } else todo.push(job);
  }
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < todo.length && !signal.aborted) {
      const job = todo[next++]!;
      try {
        const out = await sampleOne(job, o, signal);
        o.journal.record(out);
        outcomes.set(job.id, out);
        await o.onDone?.(out, false);
      } catch (e) {
        failure ??= e;
        stop.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, Math.max(1, todo.length)) }, worker));
  if (o.signal.aborted) throw abortError(o.signal);
  if (failure) throw failure;
  return { outcomes, resumed };
}
