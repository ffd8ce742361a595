/**
 * The eval job's parts below the handler, on a real Postgres: packages/eval `evaluateCheckpoints`
 * storing through packages/db `evalRepository`. The model server is the harness's fake
 * (test double for a GPU-served checkpoint) answering with the GP prompt oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evalRepository, saveEvalItem, type EvalItemRow } from "@trainyard/db";
import { evaluateCheckpoints, gpPromptOracle, startFakeModelServer, type FakeServer } from "@trainyard/eval";
import { createTestDb, type TestDb } from "../../../../tests/helpers/db.js";

let t: TestDb;
let server: FakeServer;
let experimentId: string;
let jobId: string;

beforeAll(async () => {
  t = await createTestDb();
  server = await startFakeModelServer({ answer: (c) => gpPromptOracle(c.prompt) });
  const project = await t.db.project.create({ data: { name: `p-${Date.now()}` } });
  const exp = await t.db.experiment.create({
    data: { projectId: project.id, name: "e", task: "general-points", spec: {}, specHash: "h" },
  });
  experimentId = exp.id;
  const job = await t.db.job.create({
    data: { experimentId, kind: "eval", name: "eval:ans:s0", payload: {}, maxAttempts: 1, dependsOn: [] },
  });
  jobId = job.id;
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

/** The options every evaluateCheckpoints call here shares: GP, the repository, 2 items in flight. */
const options = (repo: ReturnType<typeof evalRepository>, runId: string) => ({
  env: "general-points" as const,
  store: repo,
  sampling: {},
  seed: 0,
  arm: "ans",
  scoring: "paper",
  concurrency: 2,
  runId,
});

const item = (itemIndex: number, itemKey: number, success: boolean): EvalItemRow => ({
  itemIndex,
  itemKey,
  success,
  valid: true,
  reward: success ? 5 : -1,
  reason: success ? null : "wrong",
  turns: [{ text: "a\u0000b" }],
  usage: {},
});

describe("eval items: key collision at one position", () => {
  it("refuses a second key at a stored position instead of silently dropping it (was `update: {}`)", async () => {
    const repo = evalRepository(t.db, { experimentId, jobId, arm: "ans", seed: 0 });
    const results = await repo.openResults({ id: null as unknown as string, step: 1, servingName: "m" }, ["id"]);
    const rid = results.get("id")!;
    await saveEvalItem(t.db, rid, item(0, 42, false));
    await expect(saveEvalItem(t.db, rid, item(0, 43, true))).rejects.toMatchObject({ code: "TY_ERR_INTERNAL" });
    const kept = await t.db.evalItem.findMany({ where: { evalResultId: rid } });
    expect(kept.map((k) => [k.itemIndex, k.itemKey, k.success])).toEqual([[0, 42, false]]);
    // The same item scored again (a retried job) replaces the row.
    await saveEvalItem(t.db, rid, item(0, 42, true));
    const again = await t.db.evalItem.findMany({ where: { evalResultId: rid } });
    expect(again.map((k) => [k.itemKey, k.success])).toEqual([[42, true]]);
    expect(again[0]!.turns).toEqual([{ text: "a\ufffdb" }]);
  });
});

describe("evaluateCheckpoints over evalRepository", () => {
  it("stores every item and split aggregate, emits per split, and resumes without asking twice", async () => {
    const repo = evalRepository(t.db, { experimentId, jobId, arm: "ans", seed: 0 });
    const checkpoints = [
      { id: null as unknown as string, step: 10, servingName: "ck10" },
      { id: null as unknown as string, step: 20, servingName: "ck20" },
    ];
    const events: [number, string, number][] = [];
    let stopped = 0;
    const run = () =>
      evaluateCheckpoints({
        ...options(repo, "r"),
        splits: ["id", "all-5"],
        n: 4,
        datasetKeys: { id: [3, 1, 2, 0, 9] },
        checkpoints,
        serve: async () => ({ url: server.url, stop: async () => void stopped++ }),
        onSplit: async (step, s) => void events.push([step, s.split, s.success]),
      });
    const report = await run();
    expect(report.checkpoints).toEqual([10, 20]);
    expect(stopped).toBe(2);
    expect(events).toEqual([
      [10, "id", 1],
      [10, "all-5", 1],
      [20, "id", 1],
      [20, "all-5", 1],
    ]);
    const rows = await t.db.evalResult.findMany({ where: { jobId, step: { in: [10, 20] } }, include: { items: true } });
    expect(rows).toHaveLength(4);
    const id10 = rows.find((r) => r.step === 10 && r.split === "id")!;
    // The dataset's keys, first n, at their positions in the dataset's order.
    expect(id10.items.map((i) => [i.itemIndex, i.itemKey]).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [0, 3],
      [1, 1],
      [2, 2],
      [3, 0],
    ]);
    expect(id10).toMatchObject({ n: 4, success: 1, validity: 1 });
    expect((id10.metrics as { scoring: string; model: string }).model).toBe("ck10");

    const asked = server.calls.length;
    const completed = await t.db.evalResult.findMany({ where: { jobId, step: { in: [10, 20] } }, select: { completedAt: true } });
    expect(completed.every((r) => r.completedAt !== null)).toBe(true);
    await run();
    expect(server.calls.length).toBe(asked); // every item was stored: a retry asks nothing
    // ... and serves no completed checkpoint again, nor announces it twice.
    expect(stopped).toBe(2);
    expect(events).toHaveLength(4);
  });
});

describe("evaluateCheckpoints: several checkpoints at once", () => {
  const cps = (steps: number[]) => steps.map((step) => ({ id: null as unknown as string, step, servingName: `ck${step}` }));
  const base = (repo: ReturnType<typeof evalRepository>) => ({ ...options(repo, "par"), splits: ["id"], n: 3 });

  it("serves two checkpoints side by side, stores every one, and reports them in step order", async () => {
    const repo = evalRepository(t.db, { experimentId, jobId, arm: "par", seed: 0 });
    let live = 0;
    let most = 0;
    const progress: number[] = [];
    const report = await evaluateCheckpoints({
      ...base(repo),
      checkpoints: cps([100, 200, 300]),
      checkpointConcurrency: 2,
      serve: async () => {
        live++;
        most = Math.max(most, live);
        // Hold the server a moment so the second runner's start overlaps it.
        await new Promise((r) => setTimeout(r, 50));
        return { url: server.url, stop: async () => void live-- };
      },
      onProgress: (f) => void progress.push(f),
    });
    expect(most).toBe(2);
    expect(live).toBe(0);
    expect(report.checkpoints).toEqual([100, 200, 300]);
    const rows = await t.db.evalResult.findMany({ where: { jobId, arm: "par" }, include: { items: true } });
    expect(rows.map((r) => r.step).sort((a, b) => a - b)).toEqual([100, 200, 300]);
    expect(rows.every((r) => r.n === 3 && r.items.length === 3 && r.completedAt !== null)).toBe(true);
    expect(progress.at(-1)).toBeCloseTo(1);
    expect(progress.every((f) => f >= 0 && f <= 1 + 1e-9)).toBe(true);
  });

  it("serves one checkpoint at a time while widen() says no", async () => {
    const repo = evalRepository(t.db, { experimentId, jobId, arm: "par-narrow", seed: 0 });
    let live = 0;
    let most = 0;
    let asked = 0;
    const report = await evaluateCheckpoints({
      ...base(repo),
      checkpoints: cps([110, 120]),
      checkpointConcurrency: 2,
      widen: () => (asked++, false),
      serve: async () => {
        most = Math.max(most, ++live);
        await new Promise((r) => setTimeout(r, 50));
        return { url: server.url, stop: async () => void live-- };
      },
    });
    expect(report.checkpoints).toEqual([110, 120]);
    expect(most).toBe(1);
    expect(asked).toBeGreaterThan(0);
  });

  it("a failing checkpoint stops the other's server and fails the evaluation with its error", async () => {
    const repo = evalRepository(t.db, { experimentId, jobId, arm: "par-fail", seed: 0 });
    const served: number[] = [];
    let stopped = 0;
    const run = evaluateCheckpoints({
      ...base(repo),
      checkpoints: cps([201, 202, 203]),
      checkpointConcurrency: 2,
      serve: async (cp) => {
        served.push(cp.step);
        if (cp.step === 202) throw new Error("checkpoint 202 would not load");
        await new Promise((r) => setTimeout(r, 20));
        return { url: server.url, stop: async () => void stopped++ };
      },
    });
    await expect(run).rejects.toThrow("checkpoint 202 would not load");
    // Step 203 is never served once 202 failed; 201, if its server came up first, was stopped.
    expect(served).not.toContain(203);
    expect(served).toContain(202);
    expect(stopped).toBe(served.length - 1);
  });
});
