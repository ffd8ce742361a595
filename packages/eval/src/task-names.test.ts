/**
 * The contract's task vocabulary (zod enums, the API's validation) and the env registry are kept
 * apart by the import rules (contracts may import envs for types only), so this test keeps them
 * from drifting: every registered env is a TaskName with the same splits and limits, and back.
 */
import { describe, expect, it } from "vitest";
import { envIds, requireEnv } from "@trainyard/envs";
import { MAX_EVAL_ITEMS, PAPER_SPLITS, SPLIT_GROUPS, TASK_SPLITS, TaskName } from "@trainyard/contracts";

describe("TaskName and the env registry", () => {
  it("name the same tasks, in the same order", () => {
    expect([...TaskName.options]).toEqual(envIds());
  });

  it.each(TaskName.options)("%s: the same evaluation splits, paper columns, groups and item cap", (task) => {
    const env = requireEnv(task);
    expect([...TASK_SPLITS[task]]).toEqual([...env.evalSplits]);
    expect([...PAPER_SPLITS[task]]).toEqual([...env.paperSplits]);
    expect(Object.keys(SPLIT_GROUPS[task]).sort()).toEqual([...env.evalSplits].sort());
    expect(MAX_EVAL_ITEMS[task]).toBe(env.maxEvalItems);
  });
});
