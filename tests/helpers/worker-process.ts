/**
 * A service worker in its own process, for drills that SIGKILL it: `node --import tsx
 * tests/helpers/worker-process.ts` with DRILL_DB_URL, DRILL_PREFIX, DRILL_ARTIFACTS and
 * DRILL_LEASE_MS set. Prints `ready` once it consumes jobs.
 */
import { createPrisma } from "../../packages/db/src/index.js";
import { startServiceWorker } from "./worker.js";

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const db = createPrisma(env("DRILL_DB_URL"), { poolMax: 5 });
// One checkpoint after another: the drills kill the worker between two checkpoints' evaluations.
await startServiceWorker(db, env("DRILL_PREFIX"), env("DRILL_ARTIFACTS"), {
  leaseMs: Number(env("DRILL_LEASE_MS")),
  services: { EVAL_CHECKPOINTS_AT_ONCE: 1 },
});
process.stdout.write("ready\n");
