/**
 * SFT then GRPO as two ranks each, through the service on the local Slurm cluster
 * (`bash scripts/slurm.sh start`; skipped without one): one batch job per training job, its
 * trainer starting both ranks on the node (see distributed-helpers.ts).
 */
import { it } from "vitest";
import { slurmCluster } from "../../packages/compute/test/slurm-cluster.js";
import { runBoth, serviceHarness } from "./distributed-helpers.js";

const cluster = slurmCluster();
serviceHarness();

it.runIf(cluster)("local Slurm cluster: SFT then GRPO, one stream each, loadable checkpoints", { timeout: 600_000 }, async () => {
  await runBoth("slurm");
});
