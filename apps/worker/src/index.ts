export { startWorker, type WorkerOptions, type RunningWorker } from "./worker.js";
export type { JobContext, JobHandler, HandlerRegistry, AbortReason } from "./context.js";
export { reconcileOnce } from "./reconciler.js";
