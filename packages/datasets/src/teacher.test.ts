/**
 * Teacher CoT against a REAL OpenAI-compatible HTTP server (test/teacher-server.ts, on the shared
 * fake model server): it answers from the solver, answers some prompts wrongly (once or always)
 * and fails some first requests with HTTP 500. The build must accept exactly the prompts the
 * server's policy makes acceptable, retry every 500, and resume after being killed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { handleBatchRequest } from "@trainyard/envs";
import { startFakeModelServer } from "@trainyard/outbound";
import { LocalArtifactStore, Ticker, buildDataset, resolveDatasetSpec, taskSource, teacherClient, type DatasetSpecInput } from "./index.js";
import { TeacherSpec } from "./spec.js";
import { expected, promptKey, startTeacherServer, type TeacherServer } from "../test/teacher-server.js";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const childEnv = { ...process.env, TSX_TSCONFIG_PATH: join(repo, "packages/datasets/test/tsconfig.json") };
let server: TeacherServer;
let base = "";

beforeAll(async () => {
  server = await startTeacherServer();
  base = server.base;
});
afterAll(async () => {
  await server?.close();
});

function teacherSpec(input: DatasetSpecInput, teacher: Record<string, unknown>): DatasetSpecInput {
  return { ...input, cot: { producer: "teacher", teacher: { baseUrl: `${base}/v1`, model: "qwen3-8b-rl", ...teacher } } };
}

/** What the server's policy lets a client with k samples accept, per CoT arm. */
async function expectedAcceptance(input: DatasetSpecInput, k: number) {
  const spec = resolveDatasetSpec(input);
  const source = taskSource(spec);
  const ctx = { spec, store: new LocalArtifactStore(tmpdir()), ticker: new Ticker(), notes: [] };
  const out: Record<string, { prompts: number; accepted: number; samples: number; fail500: number }> = {};
  for (const arm of spec.train.arms.filter((a) => a.target === "cot")) {
    const entries = [];
    for await (const x of source.train(arm.data, ctx)) entries.push(x);
    const e = entries.map((x) => expected(x.item.prompt, k));
    out[`${arm.data}-cot`] = {
      prompts: entries.length,
      accepted: e.filter((x) => x.accepted).length,
      samples: e.reduce((n, x) => n + x.samples, 0),
      fail500: entries.filter((x) => parseInt(promptKey(x.item.prompt).slice(0, 8), 16) % 4 === 0).length,
    };
  }
  return out;
}

const cotArms = [
  { data: "frozen", target: "cot" },
  { data: "diverse", target: "cot" },
] as const;

describe("teacher rejection sampling over HTTP", () => {
  it("Sokoban via /v1/completions: accepts what the policy allows, retries every 500", async () => {
    server.reset();
    const input = teacherSpec(
      { task: "sokoban", train: { size: 6, seedStart: 300, arms: [...cotArms] }, eval: { splits: [] } },
      { samples: 2, concurrency: 4 },
    );
    const want = await expectedAcceptance(input, 2);
    const dir = mkdtempSync(join(tmpdir(), "ty-teacher-"));
    const r = await buildDataset(resolveDatasetSpec(input), { store: new LocalArtifactStore(dir), prefix: "" });
    const stats = server.stats;
    for (const arm of ["frozen-cot", "diverse-cot"]) {
      const w = want[arm]!;
      expect(r.manifest.cot.acceptance![arm]).toMatchObject({
        prompts: w.prompts,
        accepted: w.accepted,
        dropped: w.prompts - w.accepted,
        samples: w.samples,
      });
      expect(r.manifest.files.find((f) => f.name === arm)).toMatchObject({ rows: w.accepted, producer: "teacher", fullReward: w.accepted });
    }
    expect(want["frozen-cot"]!.accepted).toBeLessThan(want["frozen-cot"]!.prompts); // some prompts really are dropped
    const fail500 = want["frozen-cot"]!.fail500 + want["diverse-cot"]!.fail500;
    expect(fail500).toBeGreaterThan(0);
    expect(stats.errors500).toBe(fail500);
    expect(r.teacher).toMatchObject({ retries: fail500, failures: { "500": fail500 }, resumed: 0 });
    expect(stats.requests).toBe(r.teacher!.requests);
    const rows = readFileSync(join(dir, "train/diverse-cot.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const row of rows)
      expect(handleBatchRequest({ ...row.reward, prompt: row.prompt, response: row.completion })).toEqual({ ok: true, reward: 1 });
  }, 120_000);

  it("General Points via chat completions: openai with n=2 per request, and the Hugging Face client", async () => {
    for (const [provider, extra] of [
      ["openai", { samplesPerRequest: 2 }],
      ["huggingface", {}],
    ] as const) {
      server.reset();
      const input = teacherSpec(
        { task: "general-points", train: { size: 16, arms: [...cotArms] }, eval: { splits: [] } },
        { provider, samples: 2, concurrency: 3, ...extra, ...(provider === "huggingface" ? { baseUrl: base } : {}) },
      );
      const want = await expectedAcceptance(input, 2);
      const r = await buildDataset(resolveDatasetSpec(input), {
        store: new LocalArtifactStore(mkdtempSync(join(tmpdir(), "ty-teacher-gp-"))),
        prefix: "",
      });
      for (const arm of ["frozen-cot", "diverse-cot"]) expect(r.manifest.cot.acceptance![arm]!.accepted).toBe(want[arm]!.accepted);
      expect(r.teacher!.retries).toBe(want["frozen-cot"]!.fail500 + want["diverse-cot"]!.fail500);
    }
  }, 120_000);

  it("resumes after the build process is killed halfway, without asking again for finished prompts", async () => {
    server.reset();
    server.delayMs = 60;
    const input = teacherSpec(
      { task: "sokoban", train: { size: 10, seedStart: 500, arms: [...cotArms] }, eval: { splits: [] } },
      { samples: 2, concurrency: 2 },
    );
    const want = await expectedAcceptance(input, 2);
    const total = want["frozen-cot"]!.prompts + want["diverse-cot"]!.prompts;
    const dir = mkdtempSync(join(tmpdir(), "ty-teacher-kill-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(repo, "packages/datasets/test/build-child.ts"), dir, JSON.stringify(input)],
      {
        cwd: repo,
        env: childEnv,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const journalLines = () => {
      const work = join(dir, ".work");
      const f = existsSync(work) ? readdirSync(work).find((n) => n.startsWith("teacher-")) : undefined;
      return f ? readFileSync(join(work, f), "utf8").split("\n").filter(Boolean) : [];
    };
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_code, signal) => res(signal)));
    const deadline = Date.now() + 60_000;
    while (journalLines().length < total / 3) {
      if (Date.now() > deadline) throw new Error("the child build made no progress");
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(existsSync(join(dir, "manifest.json"))).toBe(false);
    const done = journalLines().map((l) => JSON.parse(l).id as string);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(total);

    server.resetStats();
    server.delayMs = 0;
    const r = await buildDataset(resolveDatasetSpec(input), { store: new LocalArtifactStore(dir), prefix: "" });
    expect(r.teacher!.resumed).toBe(done.length);
    for (const arm of ["frozen-cot", "diverse-cot"]) expect(r.manifest.cot.acceptance![arm]!.accepted).toBe(want[arm]!.accepted);
    // No finished prompt was requested again.
    const spec = resolveDatasetSpec(input);
    const ctx = { spec, store: new LocalArtifactStore(dir), ticker: new Ticker(), notes: [] };
    const source = taskSource(spec);
    const keyOf = new Map<string, string>();
    for (const data of ["frozen", "diverse"] as const)
      for await (const e of source.train(data, ctx)) keyOf.set(`${data}-cot:${e.id}`, promptKey(e.item.prompt));
    const stats = server.stats;
    for (const id of done) expect(stats.perPrompt[keyOf.get(id)!]).toBeUndefined();
    expect(Object.keys(stats.perPrompt).length).toBe(total - done.length);
    expect(journalLines()).toHaveLength(total);
  }, 180_000);

  it("fails permanently on a 404, after one attempt", async () => {
    const input = teacherSpec(
      { task: "sokoban", train: { size: 1, arms: [{ data: "frozen", target: "cot" }] }, eval: { splits: [] } },
      { baseUrl: `${base}/nope/v1` },
    );
    await expect(
      buildDataset(resolveDatasetSpec(input), { store: new LocalArtifactStore(mkdtempSync(join(tmpdir(), "ty-t404-"))), prefix: "" }),
    ).rejects.toMatchObject({
      code: "TY_ERR_TEACHER_REJECTED",
    });
  });
});

describe("teacher client on the shared outbound policy", () => {
  it("honours retry-after, counts every attempt, does not retry a 4xx, and gives up after maxRetries", async () => {
    let limited = 0;
    const fake = await startFakeModelServer({
      answer: (c) => {
        if (c.prompt === "bad") return { status: 422 };
        if (c.prompt === "down") return { status: 503, headers: { "retry-after-ms": "10" } };
        return limited++ === 0 ? { status: 429, headers: { "retry-after": "1" } } : { texts: ["a", "b"] };
      },
    });
    const signal = new AbortController().signal;
    const client = teacherClient(TeacherSpec.parse({ baseUrl: fake.url, maxRetries: 2 }));
    try {
      const t0 = performance.now();
      expect(await client.sample("p", 2, signal)).toEqual(["a", "b"]);
      // The first backoff is at most 0.5 s: waiting a second means the server's retry-after won.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
      expect(client.stats).toEqual({ requests: 2, retries: 1, failures: { "429": 1 } });

      await expect(client.sample("bad", 1, signal)).rejects.toMatchObject({ code: "TY_ERR_TEACHER_REJECTED" });
      expect(fake.calls.filter((c) => c.prompt === "bad")).toHaveLength(1);

      await expect(client.sample("down", 1, signal)).rejects.toMatchObject({ code: "TY_ERR_TEACHER_UNAVAILABLE" });
      expect(fake.calls.filter((c) => c.prompt === "down")).toHaveLength(3);
      expect(client.stats).toEqual({ requests: 6, retries: 3, failures: { "429": 1, "422": 1, "503": 3 } });
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
