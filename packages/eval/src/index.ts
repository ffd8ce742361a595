/**
 * packages/eval: the evaluation harness. Sokoban multi-turn and GP single-turn episodes scored by
 * packages/envs; per-split metrics; a resumable `evaluate()`. The model clients, retry policy and
 * fake model server live in packages/outbound and are re-exported here for the harness's callers.
 *
 * The oracles are test doubles for a GPU-served model's answers (exported so the CLI's and the
 * worker's tests can run the real harness against them).
 */
export * from "@trainyard/outbound";
export * from "./splits.js";
export * from "./episodes.js";
export * from "./metrics.js";
export * from "./evaluate.js";
export * from "./checkpoints.js";
export { boardRows, gpFrozenOracle, gpPromptOracle, sokobanFrozenOracle, sokobanPromptOracle } from "./testing/oracles.js";
