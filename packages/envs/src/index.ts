/**
 * packages/envs: Sokoban and General Points at paper fidelity. Pure, deterministic, no I/O.
 * Task modules are exported as namespaces (`sokoban`, `gp`) so their names never collide; the
 * registry (registry.ts) holds every env behind the shared interface.
 */
import { sokobanEnv } from "./sokoban/index.js";
import { generalPointsEnv } from "./gp/index.js";

export * from "./env.js";
export * from "./registry.js";
export * from "./random/index.js";
export * from "./batch.js";
export { singleTurnEpisode } from "./episode.js";
export * as sokoban from "./sokoban/index.js";
export * as gp from "./gp/index.js";
export { sokobanEnv, generalPointsEnv };
