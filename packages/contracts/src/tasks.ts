/**
 * Task and split names as the API, CLI and `env batch` spell them.
 * The environments themselves live in packages/envs; these lists are the public vocabulary.
 */
import { z } from "zod";

export const TaskName = z.enum(["sokoban", "general-points"]);
export type TaskName = z.infer<typeof TaskName>;

/** Sokoban evaluation settings: the paper's eight columns, then the extra variants the code defines. */
export const SOKOBAN_SPLITS = [
  "id",
  "alpha",
  "num",
  "rand",
  "large",
  "two-boxes",
  "complex",
  "fake",
  "cardinal",
  "emoji",
  "empty",
  "fake-cardinal",
  "fake-emoji",
] as const;

/** General Points test splits: the paper's eight columns, then the extra fake split. */
export const GP_SPLITS = ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake", "all-5-fake"] as const;

/** The paper's Table 1 columns, in order, per task. */
export const PAPER_SPLITS: Record<TaskName, readonly string[]> = {
  sokoban: ["id", "alpha", "num", "rand", "large", "two-boxes", "complex", "fake"],
  "general-points": ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake"],
};

/**
 * The text that opens and closes a task's observation (the board) in its raw prompt, for SFT's
 * observation loss; null where the prompt has no such span (General Points is sent as chat).
 */
export const OBSERVATION_MARKERS: Record<TaskName, readonly [string, string] | null> = {
  sokoban: ["[Current Observation]:\n", "\nDecide the next action:"],
  "general-points": null,
};

export const TASK_SPLITS: Record<TaskName, readonly string[]> = {
  sokoban: SOKOBAN_SPLITS,
  "general-points": GP_SPLITS,
};

/** Column groups of the paper's table (for the matrix). */
export const SPLIT_GROUPS: Record<TaskName, Record<string, "id" | "instruction" | "difficulty" | "fake">> = {
  sokoban: {
    id: "id",
    alpha: "instruction",
    num: "instruction",
    rand: "instruction",
    cardinal: "instruction",
    emoji: "instruction",
    empty: "instruction",
    large: "difficulty",
    "two-boxes": "difficulty",
    complex: "difficulty",
    fake: "fake",
    "fake-cardinal": "fake",
    "fake-emoji": "fake",
  },
  "general-points": {
    id: "id",
    "all-5": "instruction",
    "all-7": "instruction",
    "all-12": "difficulty",
    regular: "difficulty",
    large: "difficulty",
    five: "difficulty",
    fake: "fake",
    "all-5-fake": "fake",
  },
};

/** Fixed GP test sets hold 500 tasks per split; Sokoban levels are generated per seed. */
export const MAX_EVAL_ITEMS: Record<TaskName, number> = { sokoban: 10_000, "general-points": 500 };
