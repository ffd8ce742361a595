/**
 * A third task is one folder plus one `registerEnv` line: a toy env, defined here and registered,
 * runs through the shared paths (evaluation against a real HTTP model server, `env batch`, the
 * template decision, split keys, env names) without any of them naming it.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  handleBatchRequest,
  listEnvs,
  registerEnv,
  requireEnv,
  singleTurnEpisode,
  templateFor,
  type Env,
  type Score,
  type TaskItem,
} from "@trainyard/envs";
import { createModelClient, evaluate, parseEnv, splitKeys, type EvalEnv } from "./index.js";
import { startFakeModelServer, type FakeAnswer, type FakeCall } from "@trainyard/outbound";

// The toy task: "is K even?", answered yes/no. Split `small` counts keys from 0, `big` from 1000.
interface ParityItem extends TaskItem {
  even: boolean;
}
const FIRST: Record<string, number> = { small: 0, big: 1000 };

function generate(setting: string, key: number): ParityItem {
  if (!(setting in FIRST)) throw new RangeError(`unknown parity split: ${setting}`);
  const prompt = `Is ${key} even? Reply <answer>yes</answer> or <answer>no</answer>.`;
  return { env: "parity", setting, key, prompt, fallback: false, even: key % 2 === 0 };
}

function score(item: ParityItem, completion: string): Score {
  const m = /<answer>\s*(yes|no)\s*<\/answer>/.exec(completion);
  if (!m) return { reward: 0, success: false, valid: false, reason: "format" };
  const right = (m[1] === "yes") === item.even;
  return { reward: right ? 1 : 0, success: right, valid: true, reason: right ? null : "wrong_value" };
}

const parityEnv: Env<ParityItem> = {
  id: "parity",
  aliases: ["par"],
  version: 1,
  settings: ["small", "big"],
  evalSplits: ["small", "big"],
  paperSplits: ["small"],
  template: "raw",
  sampling: { temperature: 0, topP: 1, n: 1, maxTokens: 16 },
  maxEvalItems: 100,
  splitName: "split",
  keyName: "key",
  firstKey: (split) => FIRST[split]!,
  episode(split, key) {
    const item = generate(split, key);
    return singleTurnEpisode(item.prompt, (c) => score(item, c));
  },
  batch(req) {
    if (req.op === "hello") return { ok: true, hello: "parity" };
    if (req.op !== "reward" || typeof req.key !== "number" || typeof req.response !== "string")
      throw Object.assign(new Error("bad parity request"), { code: "TY_ERR_ENV_BAD_REQUEST" });
    return { ok: true, reward: score(generate("small", req.key), req.response).reward };
  },
  envlessBatchOps: [],
  tokenizerTexts: () => ["yes", "no"],
  show: (split, key) => generate(split, key).prompt,
  generate,
  solverCompletion: (item) => `<answer>${item.even ? "yes" : "no"}</answer>`,
  cotCompletion: (item) => `${item.key} mod 2 = ${item.key % 2}. <answer>${item.even ? "yes" : "no"}</answer>`,
  score,
  stateHash: (item) => `parity|${item.key % 2}`,
  difficulty: (item) => ({ digits: String(item.key).length }),
};

registerEnv(parityEnv);

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function rig(answer: (c: FakeCall) => FakeAnswer) {
  const server = await startFakeModelServer({ answer });
  const client = createModelClient("openai", { baseURL: server.url, model: "m", retry: { initialDelayMs: 1, maxDelayMs: 2 } });
  open.push(server, client);
  return { server, client };
}

/** Answers right on every key but multiples of 3. */
function model(c: FakeCall): string {
  const key = Number(/Is (\d+) even/.exec(c.prompt)![1]);
  const even = key % 2 === 0;
  return `<answer>${even !== (key % 3 === 0) ? "yes" : "no"}</answer>`;
}

describe("a third task through the registry", () => {
  const env = "parity" as EvalEnv;

  it("is registered beside the built-in tasks and found by id or alias", () => {
    expect(listEnvs().map((e) => e.id)).toEqual(["sokoban", "general-points", "parity"]);
    expect(parseEnv("par")).toBe("parity");
    expect(requireEnv("parity")).toBe(parityEnv);
    expect(() => requireEnv("nope")).toThrow("one of sokoban, general-points, parity");
  });

  it("decides its template and split keys from the env", () => {
    expect(templateFor("parity")).toBe("raw");
    expect(templateFor("parity", "chat")).toBe("chat");
    expect(splitKeys(env, "big", 3)).toEqual([1000, 1001, 1002]);
    expect(() => splitKeys(env, "huge", 3)).toThrow("one of small, big");
    expect(requireEnv("parity").tokenizerTexts()).toEqual(["yes", "no"]);
  });

  it("is evaluated against a real model server, raw by default, with its own sampling", async () => {
    const { server, client } = await rig(model);
    const r = await evaluate({ env, splits: ["small", "big"], n: 6, client });
    expect(r.template).toBe("raw");
    expect(r.sampling).toMatchObject({ temperature: 0, maxTokens: 16 });
    expect(server.calls.every((c) => c.endpoint === "completions")).toBe(true);
    // Keys 0 and 3 (small), 1002 and 1005 (big) are multiples of 3: the model gets them wrong.
    expect(r.splits.small).toMatchObject({ n: 6, success: 4 / 6 });
    expect(r.splits.big).toMatchObject({ n: 6, success: 4 / 6 });
    expect(r.items.find((i) => i.id === "small/3")).toMatchObject({ env: "parity", success: false, reason: "wrong_value", reward: 0 });
    expect(r.items.find((i) => i.id === "big/1001")).toMatchObject({ success: true, validity: 1, reward: 1, reason: null });
    expect(r.items[0]).not.toHaveProperty("steps");
  });

  it("is sent as chat messages when asked, and an endpoint failure scores an empty answer", async () => {
    const { server, client } = await rig((c) => (c.prompt.startsWith("Is 1 ") ? { status: 500 } : model(c)));
    const r = await evaluate({ env, splits: ["small"], n: 2, client, template: "chat" });
    expect(server.calls.every((c) => c.endpoint === "chat")).toBe(true);
    expect(r.items.map((i) => [i.id, i.success, i.reason, i.reward])).toEqual([
      ["small/0", false, "wrong_value", 0],
      ["small/1", false, "endpoint_error", 0],
    ]);
  });

  it("answers `env batch` requests that name it, and lists it among the known envs", () => {
    expect(handleBatchRequest({ op: "reward", env: "parity", key: 4, response: "<answer>yes</answer>", id: 7 })).toEqual({
      id: 7,
      ok: true,
      reward: 1,
    });
    expect(handleBatchRequest({ op: "hello", env: "parity" })).toEqual({ ok: true, hello: "parity" });
    expect(handleBatchRequest({ op: "reward", env: "parity" })).toEqual({
      ok: false,
      error: { code: "TY_ERR_ENV_BAD_REQUEST", message: "bad parity request" },
    });
    expect(handleBatchRequest({ op: "reward", env: "chess" })).toMatchObject({
      error: { message: "env: unknown env 'chess'; one of sokoban, general-points, parity" },
    });
    // The built-in envs are unaffected.
    expect(handleBatchRequest({ op: "vocabulary", row: 0 })).toEqual({ ok: true, labels: ["tree", "fix", "jade", "freedom"] });
  });
});
