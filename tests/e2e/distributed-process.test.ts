/** SFT then GRPO as two ranks each, through the service on the process backend (see distributed-helpers.ts). */
import { it } from "vitest";
import { runBoth, serviceHarness } from "./distributed-helpers.js";

serviceHarness();

it("process backend: SFT then GRPO, one stream each, loadable checkpoints", { timeout: 600_000 }, async () => {
  await runBoth("process");
});
