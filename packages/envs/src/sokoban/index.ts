/**
 * Sokoban environment at paper fidelity (docs/sokoban-rules.md, docs/prompts.md).
 * `sokobanEnv` is registered in registry.ts; this module exports it and its helpers.
 */
export { sokobanEnv, stateHash } from "./adapter.js";
export { sokobanBatch, EnvBadRequest, BAD_REQUEST } from "./batch-ops.js";
export { showSokobanLevel } from "./show.js";
export {
  ACTION_NAMES,
  SYMBOLS,
  actionId,
  actionName,
  levelToGrid,
  levelToRows,
  parseRows,
  renderObservation,
  type ActionId,
  type ActionName,
  type Grid,
  type Level,
} from "./board.js";
export { MAX_STEPS, SokobanGame, play, type PlayResult, type StepResult } from "./dynamics.js";
export { generateLevel, type GenParams, type GeneratedLevel } from "./generator.js";
export { MAX_DEPTH, solve, solveWithStats, type SolveStats } from "./solver.js";
export {
  BASE_LABELS,
  VOCABULARIES,
  WORD_POOL,
  actionSection,
  renderableActionSections,
  renderableTexts,
  observationTrailers,
  chatWrap,
  evalPrompt,
  instructionBody,
  trainPrompt,
  vocabulary,
  wordVocabulary,
  type Labels,
  type Vocabulary,
} from "./prompts.js";
export {
  formatOk,
  labelTable,
  lastAnswer,
  parseEvalAction,
  parseEvalDetailed,
  promptActionMapping,
  rlReward,
  rlRewardDetail,
  tokenToId,
  type EvalParse,
  type RewardDetail,
} from "./parse.js";
export { FORMAT_PENALTY, MAX_TURNS, SokobanEpisode, type TurnResult } from "./episode.js";
export { PAPER_EVAL_SETTINGS, SETTINGS, SETTING_NAMES, getSetting, settingSeeds, type SokobanSetting } from "./settings.js";
export { generateItem, promptFor, type SokobanItem } from "./items.js";
export { answerOnlyCompletion, trainingPairs, type TrainingPair, type TrainingPairOptions } from "./dataset.js";
export { cotCompletion } from "./cot.js";
