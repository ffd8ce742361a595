import type { Env, TaskItem } from "./env.js";

const envs = new Map<string, Env<TaskItem>>();

/** Registered once per env module at import time (see index.ts). */
export function registerEnv<I extends TaskItem>(env: Env<I>): void {
  if (envs.has(env.id)) throw new Error(`env ${env.id} registered twice`);
  envs.set(env.id, env as unknown as Env<TaskItem>);
}

export function getEnv(id: string): Env<TaskItem> | undefined {
  return envs.get(id);
}

export function listEnvs(): Env<TaskItem>[] {
  return [...envs.values()];
}
