/**
 * Oracle checks (docs/paper.md#oracle-checks) through the real harness: openai SDK → keep-alive HTTP →
 * FakeModelServer on 127.0.0.1 → oracle reading only the prompt → env scoring → metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelClient, evaluate, evalSplits, type EvalReport, type ModelClient } from "./index.js";
import { startFakeModelServer, type FakeServer } from "@trainyard/outbound";
import { gpFrozenOracle, gpPromptOracle, sokobanFrozenOracle, sokobanPromptOracle } from "./testing/oracles.js";

const N_SOKOBAN = 10;
const N_GP = 20;

interface Rig {
  server: FakeServer;
  client: ModelClient;
}

async function rig(answer: (prompt: string) => string): Promise<Rig> {
  const server = await startFakeModelServer({ answer: (c) => answer(c.prompt) });
  return { server, client: createModelClient("openai", { baseURL: server.url, model: "oracle" }) };
}

async function stop(r: Rig): Promise<void> {
  await r.client.close();
  await r.server.close();
}

describe("Sokoban oracles, multi-turn over /v1/completions", () => {
  const splits = evalSplits("sokoban");
  let follows: EvalReport;
  let frozen: EvalReport;
  let followRig: Rig;
  beforeAll(async () => {
    followRig = await rig(sokobanPromptOracle);
    const frozenRig = await rig(sokobanFrozenOracle);
    [follows, frozen] = await Promise.all([
      evaluate({ env: "sokoban", splits, n: N_SOKOBAN, client: followRig.client }),
      evaluate({ env: "sokoban", splits, n: N_SOKOBAN, client: frozenRig.client }),
    ]);
    await stop(frozenRig);
  }, 120_000);
  afterAll(() => stop(followRig));

  it("lists the paper's eight settings first, then the env's extra variants", () => {
    expect(splits).toEqual([
      "id",
      "alpha",
      "num",
      "rand",
      "large",
      "two-boxes",
      "complex",
      "fake",
      "cardinal",
      "emoji",
      "empty",
      "fake-cardinal",
      "fake-emoji",
    ]);
  });

  it.each(evalSplits("sokoban"))("%s: following the prompt solves all but Fake; the frozen words solve all but Alpha/Num/Rand", (split) => {
    const fake = split.startsWith("fake");
    const m = follows.splits[split]!;
    expect(m.n).toBe(N_SOKOBAN);
    expect(m.success).toBe(fake ? 0 : 1);
    expect(m.validity).toBe(fake ? 0 : 1);
    expect(m.endpointErrors).toBe(0);
    const instruction = ["alpha", "num", "rand", "cardinal", "emoji"].includes(split);
    expect(frozen.splits[split]!.success).toBe(instruction ? 0 : 1);
    expect(frozen.splits[split]!.validity).toBe(instruction ? 0 : 1);
  });

  it("records every turn: the rebuilt prompt, the completion, the parsed label, reward and reason", () => {
    const item = follows.items.find((i) => i.split === "large" && i.turns.length > 2)!;
    expect(item.id).toBe(`large/${item.key}`);
    expect(
      item.turns.every((t) =>
        t.prompt.endsWith(
          "Decide the next action:\\\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>",
        ),
      ),
    ).toBe(true);
    expect(new Set(item.turns.map((t) => t.prompt)).size).toBe(item.turns.length); // the board moves every turn
    expect(item.turns[0]!.action).toMatch(/^(Up|Down|Left|Right)$/);
    expect(item.turns.at(-1)!.reward).toBeGreaterThan(1); // the last push lands the box: +1 and +10
    expect(item.promptTokens).toBeGreaterThan(0);
    expect(item.completionTokens).toBeGreaterThan(0);
    expect(follows.splits.large!.turns).toBe(follows.items.filter((i) => i.split === "large").reduce((a, i) => a + i.steps!, 0));
  });

  it("gives Fake's prompt-following answers the unknown_label reason, and takes the first N paper seeds", () => {
    const fake = follows.items.filter((i) => i.split === "fake");
    expect(fake.every((i) => i.reason === "unknown_label" && i.turns.length === 30)).toBe(true);
    expect(fake.map((i) => i.key)).toEqual(Array.from({ length: N_SOKOBAN }, (_, i) => 823 + i));
    expect(follows.items.filter((i) => i.split === "id").map((i) => i.key)[0]).toBe(123);
    expect(frozen.items.filter((i) => i.split === "alpha").every((i) => i.reason === "unknown_label")).toBe(true);
  });

  it("sends the paper's sampling explicitly to /v1/completions", () => {
    const call = followRig.server.calls[0]!;
    expect(call.endpoint).toBe("completions");
    expect(call.body).toMatchObject({ model: "oracle", temperature: 0.5, top_p: 1, n: 1, max_tokens: 4096 });
    expect(call.body.seed).toBeUndefined();
    expect(follows.sampling).toEqual({ temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 });
  });
});

describe("General Points oracles, single turn over /v1/chat/completions", () => {
  const splits = evalSplits("general-points");
  let follows: EvalReport;
  let frozen: EvalReport;
  let followRig: Rig;
  beforeAll(async () => {
    followRig = await rig(gpPromptOracle);
    const frozenRig = await rig(gpFrozenOracle);
    [follows, frozen] = await Promise.all([
      evaluate({ env: "general-points", splits, n: N_GP, client: followRig.client, seed: 7 }),
      evaluate({ env: "general-points", splits, n: N_GP, client: frozenRig.client }),
    ]);
    await stop(frozenRig);
  }, 120_000);
  afterAll(() => stop(followRig));

  it.each(evalSplits("general-points"))(
    "%s: the stated rule solves all but the fakes; J=Q=K=10 solves only where that is the scoring rule",
    (split) => {
      const fake = split === "fake" || split === "all-5-fake";
      const m = follows.splits[split]!;
      expect(m.n).toBe(N_GP);
      expect(m.success).toBe(fake ? 0 : 1);
      expect(m.meanReward).toBe(fake ? -2 : 5); // fakes: right rule, wrong numbers for the scorer
      const tenIsTrue = ["id", "large", "five", "fake", "all-5-fake"].includes(split);
      expect(frozen.splits[split]!.success).toBe(tenIsTrue ? 1 : 0);
      expect(frozen.splits[split]!.validity).toBe(tenIsTrue ? 1 : 0);
    },
  );

  it("records reasons from the fixed taxonomy and the per-request seed", () => {
    expect(follows.items.filter((i) => i.split === "fake").every((i) => i.reason === "wrong_numbers")).toBe(true);
    expect(follows.items.filter((i) => i.split === "id").map((i) => i.key)).toEqual(Array.from({ length: N_GP }, (_, i) => i));
    const call = followRig.server.calls.find((c) => c.endpoint === "chat")!;
    expect(call.body).toMatchObject({ temperature: 0.5, top_p: 1, n: 1, max_tokens: 8192 });
    expect(typeof call.body.seed).toBe("number");
    expect((call.body.messages as unknown[]).length).toBe(1);
    const seeds = new Set(follows.items.filter((i) => i.split === "id").map((i) => i.turns[0]!.seed));
    expect(seeds.size).toBe(N_GP);
    expect(follows.seed).toBe(7);
  });
});
