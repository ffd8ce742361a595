import type { Env, TaskItem } from "./env.js";

const envs = new Map<string, Env<TaskItem>>();

/** Registered once per env module at import time (see index.ts). */
export function registerEnv<I extends TaskItem>(env: Env<I>): void {
  const existing = envs.get(env.id);
  if (existing === (env as unknown as Env<TaskItem>)) return;
  if (existing) throw new Error(`two different envs registered as ${env.id}`);
  envs.set(env.id, env as unknown as Env<TaskItem>);
}

export function getEnv(id: string): Env<TaskItem> | undefined {
  return envs.get(id);
}

export function listEnvs(): Env<TaskItem>[] {
  return [...envs.values()];
}
