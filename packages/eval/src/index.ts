/**
 * packages/eval: the evaluation harness. Model clients (openai SDK for OpenAI-compatible servers,
 * @huggingface/inference for HF endpoints) behind one interface with a shared retry policy and a
 * keep-alive transport; Sokoban multi-turn and GP single-turn episodes scored by packages/envs;
 * per-split metrics; a resumable `evaluate()`.
 *
 * `startFakeModelServer` and the oracles are test doubles for a GPU-served model (exported so the
 * CLI's and the worker's tests can run the real harness against them).
 */
export * from "./errors.js";
export * from "./retry.js";
export * from "./http.js";
export * from "./client.js";
export { huggingFaceClient } from "./hf-client.js";
export * from "./splits.js";
export * from "./episodes.js";
export * from "./metrics.js";
export * from "./evaluate.js";
export * from "./checkpoints.js";
export * from "./model.js";
export { startFakeModelServer, type FakeAnswer, type FakeCall, type FakeServer, type FakeServerOptions } from "./testing/fake-server.js";
export { boardRows, gpFrozenOracle, gpPromptOracle, sokobanFrozenOracle, sokobanPromptOracle } from "./testing/oracles.js";
