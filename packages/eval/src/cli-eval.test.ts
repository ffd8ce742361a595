/**
 * `trainyard eval` (apps/cli/src/commands/eval.ts) against a real local server. It lives here
 * because this package owns the fake server and oracles; it imports the command by path (tests
 * may reach across packages). The built CLI's end-to-end run is covered in apps/cli.
 */
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerEval, runEvalCommand, type EvalFlags } from "../../../apps/cli/src/commands/eval.js";
import { startFakeModelServer, type FakeAnswer, type FakeCall, type FakeServer } from "@trainyard/outbound";
import { gpPromptOracle, sokobanFrozenOracle } from "./testing/oracles.js";

const open: FakeServer[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function serve(answer: (c: FakeCall) => FakeAnswer): Promise<FakeServer> {
  const s = await startFakeModelServer({ answer });
  open.push(s);
  return s;
}

async function run(flags: EvalFlags): Promise<{ out: string; err: string }> {
  let out = "";
  let err = "";
  await runEvalCommand(flags, { stdout: (s) => (out += s), stderr: (s) => (err += s), progress: false });
  return { out, err };
}

describe("trainyard eval", () => {
  it("--json prints exactly one JSON object {splits: {<split>: {success, validity, n, ...}}}", async () => {
    const s = await serve((c) => sokobanFrozenOracle(c.prompt));
    const { out } = await run({ env: "sokoban", splits: "id,alpha,fake", endpoint: s.url, model: "m", n: "3", json: true });
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const doc = JSON.parse(out) as { splits: Record<string, { success: number; validity: number; n: number }> };
    expect(Object.keys(doc)).toEqual(["splits"]);
    expect(Object.keys(doc.splits)).toEqual(["id", "alpha", "fake"]);
    expect(doc.splits.id).toMatchObject({ success: 1, validity: 1, n: 3 });
    expect(doc.splits.alpha).toMatchObject({ success: 0, validity: 0, n: 3 });
    expect(doc.splits.fake).toMatchObject({ success: 1, validity: 1, n: 3 });
  });

  it("prints a table by default and sends the flags' sampling explicitly", async () => {
    const s = await serve((c) => gpPromptOracle(c.prompt));
    const { out } = await run({
      env: "gp",
      splits: "all-5",
      endpoint: s.url.replace(/\/v1$/, ""),
      model: "m",
      n: "2",
      temperature: "0",
      maxTokens: "100",
      seed: "5",
    });
    expect(out).toMatch(/^general-points · m · chat · temperature 0 top-p 1 max-tokens 100 seed 5/);
    expect(out).toMatch(/\nall-5\s+2\s+1\.00\s+1\.00\s+5\.00\s/);
    expect(s.calls.map((c) => c.endpoint)).toEqual(["chat", "chat"]);
    expect(s.calls[0]!.body).toMatchObject({ temperature: 0, top_p: 1, n: 1, max_tokens: 100 });
    expect(new Set(s.calls.map((c) => c.body.seed))).toEqual(new Set([5, 5 + 64])); // requestSeed(5, index, turn 0)
  });

  it.each([
    [{ env: "chess" }, /^--env: unknown env 'chess'/],
    [{ splits: "id,foo" }, /^--splits: unknown split 'foo' for sokoban/],
    [{ splits: "all-5" }, /^--splits: unknown split 'all-5' for sokoban/],
    [{ endpoint: "localhost:8000" }, /^--endpoint: expected an http\(s\) URL/],
    [{ model: undefined }, /^--model: required/],
    [{ n: "0" }, /^--n: expected an integer/],
    [{ concurrency: "lots" }, /^--concurrency: expected an integer/],
    [{ temperature: "hot" }, /^--temperature: expected a number/],
    [{ template: "jinja" }, /^--template: expected raw or chat/],
    [{ provider: "bedrock" }, /^--provider: expected openai or huggingface/],
  ] as [Partial<EvalFlags>, RegExp][])("names the flag: %o", async (bad, message) => {
    const s = await serve(() => "x");
    const flags = { env: "sokoban", splits: "id", endpoint: s.url, model: "m", n: "1", ...bad };
    await expect(run(flags)).rejects.toMatchObject({ name: "CliError", message: expect.stringMatching(message) });
    expect(s.requests).toBe(0);
  });

  it("completes when the endpoint is down: JSON still printed, the failure on stderr, exit code 1", async () => {
    const s = await serve(() => ({ status: 503 }));
    const { out, err } = await run({ env: "sokoban", splits: "num", endpoint: s.url, model: "m", n: "2", json: true, retries: "0" });
    expect(JSON.parse(out)).toMatchObject({ splits: { num: { success: 0, n: 2, endpointErrors: 2 } } });
    expect(err).toMatch(/2 of 2 items failed at the endpoint \(status: HTTP 503/);
    expect(process.exitCode).toBe(1);
  });

  it("registerEval wires the flags into a commander program", async () => {
    const s = await serve((c) => sokobanFrozenOracle(c.prompt));
    const writes: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (writes.push(String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const program = new Command("trainyard").exitOverride();
    registerEval(program);
    await program.parseAsync(["eval", "--env", "sokoban", "--splits", "large", "--endpoint", s.url, "--model", "m", "--n", "2", "--json"], {
      from: "user",
    });
    expect(JSON.parse(writes.join(""))).toMatchObject({ splits: { large: { success: 1, validity: 1, n: 2 } } });
    expect(s.calls[0]!.body).toMatchObject({ model: "m", max_tokens: 4096, temperature: 0.5, top_p: 1, n: 1 });
    expect(s.calls[0]!.endpoint).toBe("completions");
  });
});
