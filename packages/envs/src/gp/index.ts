/**
 * General Points (GP-L, the text-only 24 game) at paper fidelity. See
 * docs/gp-rules.md and docs/prompts.md#general-points-prompt.
 */

export { generalPointsEnv, makeGeneralPointsEnv, gpStateHash, solverFormula, GP_ENV_ID } from "./adapter.js";
export type { GpEnv, GpItem, GpScore } from "./adapter.js";
export { gpBatch, GpBadRequestError, TY_ERR_ENV_BAD_REQUEST } from "./batch-ops.js";
export { showGpTask } from "./show.js";
export { GP_SPLITS, SPLITS, generateTask, isGpSplit, mappingFor, GpGenerationError } from "./generate.js";
export type { GpSplit, GpTask, SplitConfig } from "./generate.js";
export {
  DIVERSE_MAPPINGS,
  FACE_CARD_MAPPINGS,
  LEGACY_RULE_ALL_10,
  LEGACY_RULE_REGULAR,
  rankToString,
  rankValue,
  ruleMessage,
} from "./cards.js";
export type { FaceCardMapping, MappingName } from "./cards.js";
export { renderPrompt, renderAnswer, FROZEN_PROMPT_STRIPPED } from "./prompt.js";
export { renderCot } from "./cot.js";
export { handFor, allSolutions, TARGET } from "./solver.js";
export type { Hand } from "./solver.js";
export { verifyResponse, scoreFormula, gpReward, REWARD } from "./verifier.js";
export type { GpVerdict, GpOutcome, GpReward, ScoringMode } from "./verifier.js";
export { extractFormula } from "./extract.js";
