/**
 * Sokoban ops of the `trainyard env batch` JSON protocol. Each request is validated field by
 * field; a bad one throws an Error carrying `code: "TY_ERR_ENV_BAD_REQUEST"` and a message that
 * names the field (batch.ts turns it into `{"ok":false,"error":{code,message}}`).
 */
import { BoardError, actionId, actionName, levelToRows, parseRows, type ActionId, type Level } from "./board.js";
import { MAX_STEPS, play } from "./dynamics.js";
import { generateItem } from "./items.js";
import { parseEvalAction, rlReward } from "./parse.js";
import { vocabulary, type Labels } from "./prompts.js";
import { SETTING_NAMES } from "./settings.js";
import { solveWithStats } from "./solver.js";

export const BAD_REQUEST = "TY_ERR_ENV_BAD_REQUEST";

export class EnvBadRequest extends Error {
  readonly code = BAD_REQUEST;
  constructor(message: string) {
    super(message);
    this.name = "EnvBadRequest";
  }
}

const bad = (message: string): never => {
  throw new EnvBadRequest(message);
};

const has = (req: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(req, k);

function str(req: Record<string, unknown>, k: string): string {
  const v = req[k];
  return typeof v === "string" ? v : bad(`field "${k}" must be a string`);
}

function int(req: Record<string, unknown>, k: string, min: number, max: number): number {
  const v = req[k];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    return bad(`field "${k}" must be an integer in [${min}, ${max}]`);
  }
  return v;
}

function board(req: Record<string, unknown>): Level {
  const v = req.rows;
  if (!Array.isArray(v) || v.length === 0 || !v.every((r) => typeof r === "string")) {
    return bad('field "rows" must be a non-empty array of strings');
  }
  if (v.length > 64 || v.some((r: string) => r.length > 64)) return bad('field "rows" is larger than 64x64');
  try {
    return parseRows(v as string[]);
  } catch (e) {
    if (e instanceof BoardError) return bad(`field "rows": ${e.message}`);
    throw e;
  }
}

function actions(req: Record<string, unknown>): ActionId[] {
  const v = req.actions;
  if (!Array.isArray(v)) return bad('field "actions" must be an array of "Up" | "Down" | "Left" | "Right"');
  return v.map(
    (a, i) => (typeof a === "string" ? actionId(a) : null) ?? bad(`field "actions[${i}]" must be "Up", "Down", "Left" or "Right"`),
  );
}

function labels(req: Record<string, unknown>): Labels {
  const v = req.labels;
  if (!Array.isArray(v) || v.length !== 4 || !v.every((l) => typeof l === "string")) {
    return bad('field "labels" must be an array of 4 strings (Up, Down, Left, Right)');
  }
  return v as unknown as Labels;
}

function checkEnv(req: Record<string, unknown>, required: boolean): void {
  if (!has(req, "env") && !required) return;
  if (req.env !== "sokoban") bad(`field "env" must be "sokoban"`);
}

export function sokobanBatch(req: Record<string, unknown>): Record<string, unknown> {
  if (typeof req !== "object" || req === null || Array.isArray(req)) return bad("request must be a JSON object");
  const op = req.op;
  switch (op) {
    case "generate": {
      checkEnv(req, true);
      const setting = str(req, "setting");
      if (!SETTING_NAMES.includes(setting)) bad(`field "setting" must be one of ${SETTING_NAMES.join(", ")}`);
      const seed = int(req, "seed", 0, 0xffffffff);
      const item = generateItem(setting, seed);
      return {
        ok: true,
        rows: item.rows,
        numBoxes: item.numBoxes,
        optimal: item.optimal.map(actionName),
        prompt: item.prompt,
        fallback: item.fallback,
      };
    }
    case "solve": {
      checkEnv(req, true);
      const level = board(req);
      const r = solveWithStats(level);
      return { ok: true, actions: r.actions.map(actionName), solvable: r.alreadySolved || r.actions.length > 0 };
    }
    case "step": {
      checkEnv(req, true);
      const level = board(req);
      const acts = actions(req);
      const maxSteps = has(req, "maxSteps") ? int(req, "maxSteps", 1, 1_000_000) : MAX_STEPS;
      const r = play(level, acts, maxSteps);
      return { ok: true, rows: levelToRows(r.level), rewards: r.rewards, done: r.done, success: r.success, steps: r.steps };
    }
    case "parse": {
      checkEnv(req, true);
      const l = labels(req);
      return { ok: true, actionId: parseEvalAction(str(req, "text"), l) };
    }
    case "reward": {
      checkEnv(req, true);
      const prompt = str(req, "prompt");
      const response = str(req, "response");
      const answerId = int(req, "answerId", 1, 4);
      return { ok: true, reward: rlReward(prompt, response, answerId) };
    }
    case "vocabulary": {
      checkEnv(req, false);
      return { ok: true, labels: [...vocabulary(int(req, "row", 0, 0xffffffff - 42))] };
    }
    default:
      return bad(`field "op" must be one of generate, solve, step, parse, reward, vocabulary`);
  }
}
