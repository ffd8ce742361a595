/**
 * Success over checkpoints (the paper's Figure 1): per arm, seed and split, every evaluated
 * checkpoint's aggregate, oldest step first. Built from stored evaluation rows, so the curve of
 * a running experiment grows as its checkpoints are evaluated.
 */
import { z } from "zod";
import { SPLIT_GROUPS, type TaskName } from "./tasks.js";

export const SplitGroup = z.enum(["id", "instruction", "difficulty", "fake"]);
export type SplitGroup = z.infer<typeof SplitGroup>;

export const CurvePoint = z.object({
  /** Training step of the evaluated checkpoint; -1 for a model that is not one of ours. */
  step: z.number().int(),
  /** Share of the split's items solved (0–1). */
  success: z.number(),
  /** Share of valid answers (Sokoban: valid turns / turns). */
  validity: z.number(),
  meanReward: z.number(),
  /** Items evaluated. */
  n: z.number().int(),
  /** The evaluation row (GET /v1/evals/:id, its items at /v1/evals/:id/items). */
  evalId: z.string(),
});
export type CurvePoint = z.infer<typeof CurvePoint>;

export const Curve = z.object({
  arm: z.string(),
  seed: z.number().int(),
  split: z.string(),
  group: SplitGroup,
  points: z.array(CurvePoint),
});
export type Curve = z.infer<typeof Curve>;

export const CurvesResponse = z.object({
  experimentId: z.string(),
  task: z.string(),
  /** The spec's splits, in column order. */
  splits: z.array(z.string()),
  /** Arms in the spec's order. */
  arms: z.array(z.string()),
  curves: z.array(Curve),
});
export type CurvesResponse = z.infer<typeof CurvesResponse>;

export interface EvalRowForCurve {
  id: string;
  arm: string;
  seed: number;
  split: string;
  step: number;
  n: number;
  success: number;
  validity: number;
  meanReward: number;
}

/** Group evaluation rows into curves: arms in `arms` order, then seed, then split in `splits` order. */
export function buildCurves(task: TaskName, arms: readonly string[], splits: readonly string[], rows: readonly EvalRowForCurve[]): Curve[] {
  const byKey = new Map<string, Curve>();
  for (const r of rows) {
    const key = JSON.stringify([r.arm, r.seed, r.split]);
    let c = byKey.get(key);
    if (!c) {
      c = { arm: r.arm, seed: r.seed, split: r.split, group: SPLIT_GROUPS[task][r.split] ?? "id", points: [] };
      byKey.set(key, c);
    }
    c.points.push({ step: r.step, success: r.success, validity: r.validity, meanReward: r.meanReward, n: r.n, evalId: r.id });
  }
  // Unknown arms or splits (a spec edited since) sort after the known ones instead of vanishing.
  const rank = (list: readonly string[], x: string) => (list.includes(x) ? list.indexOf(x) : list.length);
  const curves = [...byKey.values()];
  for (const c of curves) c.points.sort((a, b) => a.step - b.step);
  return curves.sort((a, b) => rank(arms, a.arm) - rank(arms, b.arm) || a.seed - b.seed || rank(splits, a.split) - rank(splits, b.split));
}
