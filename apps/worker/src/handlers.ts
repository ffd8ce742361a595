/**
 * The default handler registry. Training, evaluation and dataset builds are wired in by their
 * own packages as they land; until then a handler says so honestly with TY_ERR_NOT_AVAILABLE.
 */
import { TyError } from "@trainyard/contracts";
import type { HandlerRegistry, JobHandler } from "./context.js";

const notAvailable =
  (what: string): JobHandler =>
  async () => {
    throw new TyError("TY_ERR_NOT_AVAILABLE", `${what} is not available in this version of Trainyard yet`);
  };

export function defaultHandlers(): HandlerRegistry {
  return {
    "dataset-build": notAvailable("the dataset-build job"),
    sft: notAvailable("SFT training"),
    grpo: notAvailable("GRPO training"),
    eval: notAvailable("evaluation"),
  };
}
