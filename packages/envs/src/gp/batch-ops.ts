/**
 * General Points ops of the `trainyard env batch` JSON protocol.
 *
 * Inputs → outputs:
 *   {"op":"generate","env":"general-points","split":S,"index":i}
 *       → {"ok":true,"cards":[…],"values":[…],"promptValues":[…],"prompt":"…","solution":"…"}
 *   {"op":"solve","env":"general-points","values":[…],"target":24}
 *       → {"ok":true,"solvable":bool,"solutions":n}        (reference template search; target defaults to 24)
 *   {"op":"reward","env":"general-points","values":[…],"response":"…","mode":"paper"|"exact"}
 *       → {"ok":true,"reward":5|-1|-2|-3}                  (mode defaults to paper)
 * Errors: a thrown Error with `code` TY_ERR_ENV_BAD_REQUEST and `field` naming the offending
 * field; TY_ERR_ENV_INTERNAL if a task has no solvable draw (never for the paper's splits).
 */

import { GP_SPLITS, SPLITS, generateTask, isGpSplit } from "./generate.js";
import { checkSolverBounds, handFor } from "./solver.js";
import { verifyResponse } from "./verifier.js";

export const TY_ERR_ENV_BAD_REQUEST = "TY_ERR_ENV_BAD_REQUEST";

export class GpBadRequestError extends Error {
  readonly code = TY_ERR_ENV_BAD_REQUEST;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "GpBadRequestError";
  }
}

/** Most values a `reward` request may carry (more could never be a card hand). */
const MAX_REWARD_VALUES = 64;

function bad(field: string, message: string): never {
  throw new GpBadRequestError(field, message);
}

function intArray(req: Record<string, unknown>, field: string, min: number, max: number): number[] {
  const v = req[field];
  if (!Array.isArray(v)) bad(field, "must be an array of integers");
  if (v.length < min || v.length > max) bad(field, `must hold ${min} to ${max} integers`);
  for (const x of v) {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) bad(field, "must hold non-negative integers");
  }
  return v as number[];
}

function generateOp(req: Record<string, unknown>): Record<string, unknown> {
  const split = req["split"];
  if (typeof split !== "string" || !isGpSplit(split)) bad("split", `must be one of ${GP_SPLITS.join(", ")}`);
  const index = req["index"];
  const max = SPLITS[split].maxIndex;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0 || index > max) {
    bad("index", `must be an integer in 0..${max}`);
  }
  const t = generateTask(split, index);
  return {
    ok: true,
    cards: [...t.cards],
    values: [...t.values],
    promptValues: [...t.promptValues],
    prompt: t.prompt,
    solution: t.solution,
  };
}

function solveOp(req: Record<string, unknown>): Record<string, unknown> {
  // The reference crashes for fewer than 3 numbers (its double-bracket pattern builds `(a)()`).
  const values = intArray(req, "values", 3, 6);
  const target = req["target"] ?? 24;
  if (typeof target !== "number" || !Number.isSafeInteger(target)) bad("target", "must be an integer");
  const why = checkSolverBounds(values, target);
  if (why) bad("values", why);
  const hand = handFor(values, target);
  return { ok: true, solvable: hand.total > 0, solutions: hand.total };
}

function rewardOp(req: Record<string, unknown>): Record<string, unknown> {
  const values = intArray(req, "values", 1, MAX_REWARD_VALUES);
  const response = req["response"];
  if (typeof response !== "string") bad("response", "must be a string");
  const mode = req["mode"] ?? "paper";
  if (mode !== "paper" && mode !== "exact") bad("mode", 'must be "paper" or "exact"');
  return { ok: true, reward: verifyResponse(response, values, mode).reward };
}

/** Runs one GP request of the `env batch` protocol. */
export function gpBatch(req: Record<string, unknown>): Record<string, unknown> {
  if (typeof req !== "object" || req === null || Array.isArray(req)) bad("request", "must be a JSON object");
  if (req["env"] !== "general-points") bad("env", 'must be "general-points"');
  switch (req["op"]) {
    case "generate":
      return generateOp(req);
    case "solve":
      return solveOp(req);
    case "reward":
      return rewardOp(req);
    default:
      return bad("op", 'must be one of "generate", "solve", "reward"');
  }
}
