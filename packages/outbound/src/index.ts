/**
 * packages/outbound: every request Trainyard sends to a server it does not run — model endpoints
 * (eval, teacher sampling) and the retry policy webhook delivery shares with them
 * (docs/conventions.md#outbound-http-policy). Model clients: the openai SDK for OpenAI-compatible
 * servers, @huggingface/inference for HF endpoints, behind one interface with one retry loop, a
 * p-limit bound on requests in flight and a keep-alive transport.
 *
 * `startFakeModelServer` is the test double for a GPU-served model (exported so the eval, teacher,
 * CLI and worker tests all run against the same one).
 */
export * from "./errors.js";
export * from "./retry.js";
export * from "./http.js";
export * from "./client.js";
export { huggingFaceClient } from "./hf-client.js";
export * from "./model.js";
export { startFakeModelServer, type FakeAnswer, type FakeCall, type FakeServer, type FakeServerOptions } from "./testing/fake-server.js";
