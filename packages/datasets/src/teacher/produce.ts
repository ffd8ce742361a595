/**
 * Teacher CoT for the build: one rejection-sampling run over every CoT arm's prompts (so the
 * concurrency budget is shared), journalled under the dataset directory, then per-arm
 * acceptance figures for the manifest.
 */
import type { TaskItem } from "@trainyard/envs";
import type { Acceptance } from "../manifest.js";
import type { TeacherSpec } from "../spec.js";
import type { TaskSource, TrainEntry } from "../tasks/types.js";
import { promptField } from "../tasks/types.js";
import { teacherClient, type RetryStats, type TeacherDeps } from "./clients.js";
import { Journal, rejectionSample, type SampleJob } from "./sampler.js";

export interface TeacherRun {
  /** Accepted completion per arm and entry id (absent = dropped). */
  accepted: Map<string, Map<string, string>>;
  acceptance: Record<string, Acceptance>;
  stats: RetryStats & { resumed: number };
}

export async function runTeacher(
  cfg: TeacherSpec,
  source: TaskSource,
  arms: { name: string; entries: TrainEntry<TaskItem>[] }[],
  journalPath: string,
  deps: TeacherDeps,
  signal: AbortSignal,
  onDone: () => Promise<void>,
): Promise<TeacherRun> {
  const client = teacherClient(cfg, deps);
  const jobs: SampleJob[] = [];
  for (const arm of arms) {
    for (const e of arm.entries) {
      jobs.push({
        id: `${arm.name}:${e.id}`,
        prompt: promptField(source.template, e.item.prompt),
        accept: (text) => source.env.score(e.item, text).success,
      });
    }
  }
  const r = await rejectionSample(jobs, {
    client,
    k: cfg.samples,
    perRequest: cfg.samplesPerRequest,
    concurrency: cfg.concurrency,
    journal: new Journal(journalPath),
    signal,
    onDone,
  }).finally(() => client.close());
  const accepted = new Map<string, Map<string, string>>();
  const acceptance: Record<string, Acceptance> = {};
  for (const arm of arms) {
    const m = new Map<string, string>();
    let samples = 0;
    for (const e of arm.entries) {
      const o = r.outcomes.get(`${arm.name}:${e.id}`);
      if (!o) continue;
      samples += o.samples;
      if (o.text !== null) m.set(e.id, o.text);
    }
    accepted.set(arm.name, m);
    const prompts = arm.entries.length;
    acceptance[arm.name] = {
      prompts,
      accepted: m.size,
      dropped: prompts - m.size,
      rate: prompts ? Math.round((m.size / prompts) * 10_000) / 10_000 : 0,
      samples,
    };
  }
  return { accepted, acceptance, stats: { ...client.stats, resumed: r.resumed } };
}
