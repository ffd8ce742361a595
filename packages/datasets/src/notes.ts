/** The manifest's notes: departures from the paper and what the overlap report means. */
import type { OverlapReport } from "./leaks.js";
import type { DatasetSpec } from "./spec.js";

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
  if (spec.task === "general-points" && used.has("frozen") && spec.train.frozenSource.kind === "generated") {
    notes.push(
      "frozen training data: the paper used a 10k subset of Chu et al.'s released GP-L SFT data, which cannot be downloaded here; these tasks are regenerated with the same distribution (4 cards, ranks 1..13, J=Q=K=10, redrawn until solvable) and the legacy wording \"count as '10'\" (envs split train-frozen). Upload the real file and set train.frozenSource to use it.",
    );
  }
  if (spec.task === "sokoban" && used.has("frozen") && spec.train.frozen.seedStart === 42 && spec.train.frozen.size === 1000) {
    notes.push("Sokoban training levels 42–1041 expand to 3,982 state–action pairs with the reference algorithm; the paper reports 3,981.");
  }
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
