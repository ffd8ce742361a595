/**
 * The dataset builder's tasks, keyed by env id: the one place packages/datasets names them
 * (docs/conventions.md#adding-a-task). A task's env comes from the env registry; its source here
 * adds what building training data needs (uploads, the artifact store).
 */
import type { TaskName } from "@trainyard/contracts";
import { gpDataset } from "./gp.js";
import { sokobanDataset } from "./sokoban.js";
import type { DatasetTask } from "./types.js";

const TASKS: Record<TaskName, DatasetTask> = { sokoban: sokobanDataset, "general-points": gpDataset };

/** A task's dataset side; an unknown name (a manifest from elsewhere) is an error naming the known ones. */
export function datasetTask(task: string): DatasetTask {
  const t = (TASKS as Record<string, DatasetTask | undefined>)[task];
  if (!t) throw new RangeError(`unknown task '${task}'; one of ${Object.keys(TASKS).join(", ")}`);
  return t;
}
