/**
 * The registry: the one way shared code reaches a task (docs/conventions.md#adding-a-task).
 * Built-in tasks are registered below, so any importer of the registry sees them.
 */
import type { Env, TaskItem, TemplateMode } from "./env.js";
import { generalPointsEnv } from "./gp/adapter.js";
import { sokobanEnv } from "./sokoban/adapter.js";

const envs = new Map<string, Env<TaskItem>>();

export function registerEnv<I extends TaskItem>(env: Env<I>): void {
  const existing = envs.get(env.id);
  if (existing === (env as unknown as Env<TaskItem>)) return;
  if (existing) throw new Error(`two different envs registered as ${env.id}`);
  envs.set(env.id, env as unknown as Env<TaskItem>);
}

/** The env registered under `id` or one of its aliases (`gp`). */
export function getEnv(id: string): Env<TaskItem> | undefined {
  return envs.get(id) ?? [...envs.values()].find((e) => e.aliases.includes(id));
}

/** Like `getEnv`, but an unknown name is an error that lists the known ones. */
export function requireEnv(id: string): Env<TaskItem> {
  const env = getEnv(id);
  if (!env) throw new RangeError(`unknown env '${id.slice(0, 40)}'; one of ${envIds().join(", ")}`);
  return env;
}

export function listEnvs(): Env<TaskItem>[] {
  return [...envs.values()];
}

/** Registered env ids, in registration order. */
export function envIds(): string[] {
  return [...envs.keys()];
}

/**
 * The one decision of how a task's prompts are sent (raw text or chat messages): an explicit
 * choice (a CLI flag, an experiment's request) wins, else the task's default.
 */
export function templateFor(task: string, explicit?: TemplateMode): TemplateMode {
  return explicit ?? requireEnv(task).template;
}

// Built-in tasks: one line per task folder.
registerEnv(sokobanEnv);
registerEnv(generalPointsEnv);
