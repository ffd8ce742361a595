/** The manifest's notes: departures from the paper and what the overlap report means. */
import type { OverlapReport } from "./leaks.js";
import type { DatasetSpec } from "./spec.js";
import { datasetTask } from "./tasks/index.js";

export function writeNotes(spec: DatasetSpec, overlap: OverlapReport, extra: readonly string[]): string[] {
  const notes: string[] = [];
  const used = new Set(spec.train.arms.map((a) => a.data));
  const cot = spec.train.arms.some((a) => a.target === "cot");
  if (cot && spec.cot.producer === "solver") {
    notes.push(
      "CoT targets are written by the env's solver (packages/envs), not sampled from the paper's RL-tuned Qwen3-8B; set cot.producer 'teacher' to rejection-sample a model instead.",
    );
  }
  if (cot && spec.cot.producer === "teacher") {
    notes.push(
      "CoT targets are teacher samples: per prompt the first of k samples with full reward under the env's score is kept, prompts without one are dropped. Sampling is not deterministic; the journal in .work/ makes a resumed build reuse what was already accepted.",
    );
  }
  notes.push(...datasetTask(spec.task).notes(spec, used));
  const leaked = Object.entries(overlap.splits).filter(([, s]) => s.inTrainBefore > 0);
  if (leaked.length) {
    const list = leaked.map(([n, s]) => `${n} ${s.inTrainBefore}/${s.items}`).join(", ");
    notes.push(
      overlap.policy === "keep"
        ? `evaluation items whose state is also in the training data (kept, leaks: keep): ${list}.`
        : `evaluation items whose state was in the training data: ${list}; those training items were removed (leaks: remove).`,
    );
  }
  return [...notes, ...extra];
}
