/**
 * `evaluate()` under faults and resumption, against real local servers: a dead, hanging or
 * garbage-speaking endpoint fails items with `endpoint_error` and the evaluation completes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient, evaluate, type ItemResult, type Provider } from "./index.js";
import { startFakeModelServer, type FakeAnswer, type FakeCall } from "@trainyard/outbound";
import { boardRows, gpPromptOracle, sokobanPromptOracle } from "./testing/oracles.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function rig(answer: (c: FakeCall) => FakeAnswer, o: { timeoutMs?: number; provider?: Provider } = {}) {
  const server = await startFakeModelServer({ answer });
  const client = createModelClient(o.provider ?? "openai", {
    baseURL: server.url,
    model: "m",
    retry: { initialDelayMs: 1, maxDelayMs: 2 },
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  open.push(server, client);
  return { server, client };
}

describe("endpoint faults", () => {
  it("a server that only answers 500 fails every item with endpoint_error after the retries; the evaluation completes", async () => {
    const { server, client } = await rig(() => ({ status: 500 }));
    const r = await evaluate({ env: "sokoban", splits: ["id", "alpha"], n: 3, client });
    expect(r.splits.id).toMatchObject({ n: 3, success: 0, validity: 0, endpointErrors: 3, reasons: { endpoint_error: 3 } });
    expect(r.items.every((i) => i.reason === "endpoint_error" && i.error?.status === 500 && i.error.attempts === 3)).toBe(true);
    expect(server.requests).toBe(6 * 3);
  });

  it("a failure mid-episode keeps the turns played and fails only that item", async () => {
    let id124 = 0;
    const { client } = await rig((c) => {
      // Level 124 (BFS: Up) gets a legal but useless move first (Down, into a wall), then its
      // endpoint dies.
      if (boardRows(c.prompt).join("/") === "######/######/#O####/#X_###/#P####/######")
        return ++id124 === 1 ? "</think> <answer> Down </answer>" : { status: 502 };
      return sokobanPromptOracle(c.prompt);
    });
    const r = await evaluate({ env: "sokoban", splits: ["id"], n: 3, client });
    const bad = r.items.find((i) => i.reason === "endpoint_error")!;
    expect(bad.key).toBe(124);
    expect(bad.turns).toMatchObject([{ action: "Down", valid: true, actionId: 2 }]);
    expect(bad.error).toMatchObject({ code: "TY_ERR_EVAL_ENDPOINT", kind: "status", status: 502 });
    expect(r.items.filter((i) => i.success).map((i) => i.key)).toEqual([123, 125]);
    expect(r.splits.id).toMatchObject({ n: 3, endpointErrors: 1 });
    expect(r.splits.id!.success).toBeCloseTo(2 / 3, 12);
  });

  it("a hanging endpoint times out per request; a garbage body is retried then fails the item", async () => {
    const { client } = await rig(
      (c) => {
        const index = /Cards: \['(.*)'\]/.exec(c.prompt)?.[1];
        if (index?.startsWith("Q', 'A")) return { hang: true }; // ID task 1 = Q, A, 5, J
        if (index?.startsWith("10', 'J")) return { status: 200, body: "<html>502</html>", contentType: "text/html" }; // task 2
        return gpPromptOracle(c.prompt);
      },
      { timeoutMs: 100 },
    );
    const r = await evaluate({ env: "general-points", splits: ["id"], n: 4, client });
    const byKey = new Map(r.items.map((i) => [i.key, i]));
    expect(byKey.get(1)).toMatchObject({ reason: "endpoint_error", reward: -3, error: { kind: "timeout", attempts: 3 } });
    expect(byKey.get(2)).toMatchObject({ reason: "endpoint_error", error: { kind: "bad_response", attempts: 3 } });
    expect(byKey.get(0)!.success && byKey.get(3)!.success).toBe(true);
    expect(r.splits.id).toMatchObject({ n: 4, success: 0.5, endpointErrors: 2 });
  });

  it("garbage model text is the model's failure (format), not the endpoint's", async () => {
    const { client } = await rig(() => "I refuse to answer in tags.");
    const sok = await evaluate({ env: "sokoban", splits: ["id"], n: 2, client });
    expect(sok.items.every((i) => i.reason === "format" && i.turns.length === 30 && i.validity === 0)).toBe(true);
    expect(sok.splits.id!.meanReward).toBeCloseTo(-3, 12); // 30 × the −0.1 format penalty
    const gp = await evaluate({ env: "general-points", splits: ["all-5"], n: 2, client });
    expect(gp.items.map((i) => [i.reason, i.reward])).toEqual([
      ["format", -3],
      ["format", -3],
    ]);
  });
});

describe("resumption, templates and providers", () => {
  it("does not re-ask items already scored, and the metrics cover old and new", async () => {
    const { server, client } = await rig((c) => gpPromptOracle(c.prompt));
    const store: ItemResult[] = [];
    const ac = new AbortController();
    const stop = new Error("stop after three items");
    const first = evaluate({
      env: "general-points",
      splits: ["id", "all-7"],
      n: 5,
      client,
      concurrency: 1,
      signal: ac.signal,
      onResult: async (r) => {
        store.push(r);
        if (store.length === 3) ac.abort(stop);
      },
    });
    // The caller's abort, re-thrown as given once in-flight items finish (not any rejection).
    await expect(first).rejects.toBe(stop);
    expect(store.map((r) => r.id)).toEqual(["id/0", "id/1", "id/2"]);
    const asked = server.requests;
    const progress: number[] = [];
    const again = await evaluate({
      env: "general-points",
      splits: ["id", "all-7"],
      n: 5,
      client,
      previous: store,
      onProgress: (p) => progress.push(p.done),
    });
    expect(server.requests - asked).toBe(7);
    expect(again).toMatchObject({ reused: 3, asked: 7 });
    expect(again.splits.id).toMatchObject({ n: 5, success: 1 });
    expect(again.splits["all-7"]).toMatchObject({ n: 5, success: 1 });
    expect(progress.at(-1)).toBe(10);
    const skipped = await evaluate({ env: "general-points", splits: ["id"], n: 5, client, skip: new Set(["id/0", "id/4"]) });
    expect(skipped.items.map((i) => i.key)).toEqual([1, 2, 3]);
  });

  it("Sokoban in chat mode takes the Qwen wrapper off the prompt", async () => {
    const { server, client } = await rig((c) => sokobanPromptOracle(c.prompt));
    const r = await evaluate({ env: "sokoban", splits: ["num"], n: 2, client, template: "chat" });
    expect(r.splits.num!.success).toBe(1);
    const content = (server.calls[0]!.body.messages as { content: string }[])[0]!.content;
    expect(content.startsWith("You are a Sokoban solver.")).toBe(true);
    expect(content.endsWith("Strictly follow this format.")).toBe(true);
  });

  it("runs the same episodes through @huggingface/inference", async () => {
    const { server, client } = await rig((c) => (c.endpoint === "chat" ? gpPromptOracle(c.prompt) : sokobanPromptOracle(c.prompt)), {
      provider: "huggingface",
    });
    const gp = await evaluate({ env: "general-points", splits: ["regular"], n: 3, client });
    const sok = await evaluate({ env: "sokoban", splits: ["rand"], n: 2, client });
    expect(gp.splits.regular).toMatchObject({ success: 1, validity: 1 });
    expect(sok.splits.rand).toMatchObject({ success: 1, validity: 1 });
    expect(sok.splits.rand!.promptTokens).toBeGreaterThan(0); // usage read from the raw answer
    expect(server.calls.find((c) => c.endpoint === "completions")!.body).toMatchObject({
      max_tokens: 4096,
      temperature: 0.5,
      top_p: 1,
      n: 1,
    });
  });

  it("rejects bad arguments before sending anything", async () => {
    const { server, client } = await rig(() => "x");
    await expect(evaluate({ env: "sokoban", splits: ["foo"], n: 1, client })).rejects.toThrow(/unknown split 'foo'/);
    await expect(evaluate({ env: "sokoban", splits: ["id"], n: 0, client })).rejects.toThrow(RangeError);
    await expect(evaluate({ env: "sokoban", splits: ["id"], n: 1, client, sampling: { n: 4 } })).rejects.toThrow(/sampling.n/);
    expect(server.requests).toBe(0);
  });
});
