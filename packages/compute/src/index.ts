/**
 * @trainyard/compute: compute backends (process, docker, kubernetes) behind one interface,
 * streaming the trainer's stdout protocol back as run events, with graceful cancellation.
 */
export * from "./backend.js";
export * from "./errors.js";
export * from "./lines.js";
export * from "./outcome.js";
export * from "./resources.js";
export * from "./process.js";
export * from "./docker.js";
export { DockerLogDemuxer, dockerFrame, type DockerStream } from "./docker-logs.js";
