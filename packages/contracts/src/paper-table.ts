/**
 * The paper's Table 1 (success rates, 0–1), via the secondary transcription in
 * docs/paper.md#paper-table. Rows the transcription omits are absent (not zero).
 * Keys: preset arm names (presets.ts) → split names (tasks.ts).
 */
type Row = Record<string, number>;

const sokobanQwen: Record<string, Row> = {
  ans: { id: 0.98, alpha: 0, num: 0, rand: 0, large: 0.64, "two-boxes": 0.35, complex: 0.19, fake: 0.93 },
  "diverse-ans": { id: 0.91, alpha: 0.92, num: 0.89, rand: 0.84, large: 0.53, "two-boxes": 0.33, complex: 0.09, fake: 0 },
  cot: { id: 1, alpha: 0.73, num: 0.8, rand: 0.22, large: 0.53, "two-boxes": 0.57, complex: 0.28, fake: 0.03 },
  "diverse-cot": { id: 1, alpha: 0.97, num: 0.98, rand: 1, large: 0.74, "two-boxes": 0.58, complex: 0.4, fake: 0 },
  "rl-warm": { id: 0.9, alpha: 0.76, num: 0.69, rand: 0.55, large: 0.34, "two-boxes": 0.36, complex: 0.1, fake: 0 },
};
const sokobanLlama: Record<string, Row> = {
  ans: { id: 0.92, alpha: 0, num: 0, rand: 0, large: 0.53, "two-boxes": 0.3, complex: 0.08, fake: 0.9 },
  "diverse-cot": { id: 0.99, alpha: 0.95, num: 0.95, rand: 0.99, large: 0.67, "two-boxes": 0.58, complex: 0.3, fake: 0 },
  "rl-warm": { id: 0.43, alpha: 0.18, num: 0.28, rand: 0.1, large: 0.18, "two-boxes": 0.05, complex: 0.02, fake: 0 },
};
const gpQwen: Record<string, Row> = {
  ans: { id: 0.61, "all-5": 0.23, "all-7": 0.25, "all-12": 0.07, regular: 0.06, large: 0.02, five: 0.0, fake: 0.01 },
  "diverse-ans": { id: 0.78, "all-5": 0.71, "all-7": 0.7, "all-12": 0.09, regular: 0.07, large: 0.03, five: 0.01, fake: 0 },
  cot: { id: 0.95, "all-5": 0.9, "all-7": 0.9, "all-12": 0.85, regular: 0.86, large: 0.8, five: 0.26, fake: 0 },
  "diverse-cot": { id: 0.96, "all-5": 0.93, "all-7": 0.93, "all-12": 0.9, regular: 0.89, large: 0.84, five: 0.29, fake: 0 },
  "rl-warm": { id: 0.93, "all-5": 0.8, "all-7": 0.87, "all-12": 0.82, regular: 0.8, large: 0.69, five: 0.22, fake: 0.05 },
};
const gpLlama: Record<string, Row> = {
  ans: { id: 0.71, "all-5": 0.0, "all-7": 0.0, "all-12": 0, regular: 0, large: 0.02, five: 0.01, fake: 0.68 },
  "diverse-cot": { id: 0.97, "all-5": 0.93, "all-7": 0.93, "all-12": 0.9, regular: 0.89, large: 0.82, five: 0.23, fake: 0 },
  "rl-warm": { id: 0.92, "all-5": 0.87, "all-7": 0.83, "all-12": 0.72, regular: 0.76, large: 0.65, five: 0.37, fake: 0 },
};

export const PAPER_TABLE1: Record<string, Record<string, Record<string, Row>>> = {
  sokoban: { "Qwen/Qwen2.5-7B": sokobanQwen, "meta-llama/Llama-3.1-8B-Instruct": sokobanLlama },
  "general-points": { "Qwen/Qwen2.5-7B": gpQwen, "meta-llama/Llama-3.1-8B-Instruct": gpLlama },
};

/** The paper's values for a task and model id (Qwen2.5-7B when the model is not one of the paper's). */
export function paperValues(task: string, modelId: string | null): { model: string; rows: Record<string, Row> } | null {
  const byModel = PAPER_TABLE1[task];
  if (!byModel) return null;
  const model = modelId && byModel[modelId] ? modelId : "Qwen/Qwen2.5-7B";
  return { model, rows: byModel[model]! };
}
