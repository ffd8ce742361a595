/** The list the dashboard pages through: filters, name search, summary view, counts, and dry-run validation. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody } from "@trainyard/contracts";
import { createApiKey } from "@trainyard/db";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
let otherKey: string;

// 60 experiments straight into the table (no jobs: nothing runs), newest = index 59.
const STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
const row = (i: number, projectId: string) => ({
  projectId,
  name: i === 7 ? "grid_50%_sweep" : i === 8 ? "gridX50Ysweep" : `exp-${i % 2 ? "alpha" : "beta"}-${i}`,
  task: i % 3 === 0 ? "general-points" : "sokoban",
  preset: i % 4 === 0 ? "paper-sokoban" : "demo-cpu",
  spec: { name: `exp-${i}` },
  specHash: "x",
  state: STATES[i % STATES.length]!,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
});

beforeAll(async () => {
  h = await startApiHarness();
  await h.db.experiment.createMany({ data: Array.from({ length: 60 }, (_, i) => row(i, h.projectId)) });
  const other = await createApiKey(h.db, "other-project");
  otherKey = other.key;
  await h.db.experiment.createMany({ data: Array.from({ length: 5 }, (_, i) => row(i, other.projectId)) });
});
afterAll(async () => {
  await h?.close();
});

const list = async (qs: string, key = h.key) => {
  const res = await h.app.inject({ method: "GET", url: `/v1/experiments?${qs}`, headers: auth(key) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; name: string; state: string; task: string; preset: string; spec?: unknown }[];
    nextCursor: string | null;
  };
};

/** Every page of a listing, following nextCursor. */
async function all(qs: string) {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(`${qs}&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    out.push(...page.items.map((e) => e.name));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe("GET /v1/experiments filters", () => {
  it("pages newest first through a filtered listing without gaps or repeats", async () => {
    const failed = await all("state=failed");
    const expected = Array.from({ length: 60 }, (_, i) => i)
      .filter((i) => i % 5 === 3)
      .reverse()
      .map((i) => row(i, h.projectId).name);
    expect(failed).toEqual(expected);
    const gp = await all("task=general-points&preset=paper-sokoban");
    expect(gp).toEqual(
      Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => i % 3 === 0 && i % 4 === 0)
        .reverse()
        .map((i) => row(i, h.projectId).name),
    );
  });

  it("searches names case-insensitively, with % and _ matching themselves, inside the key's project only", async () => {
    expect((await list("q=ALPHA-1&limit=200")).items.map((e) => e.name)).toEqual([
      "exp-alpha-19",
      "exp-alpha-17",
      "exp-alpha-15",
      "exp-alpha-13",
      "exp-alpha-11",
      "exp-alpha-1",
    ]);
    expect((await list("q=50%25_")).items.map((e) => e.name)).toEqual(["grid_50%_sweep"]);
    expect((await list("q=beta-2", otherKey)).items.map((e) => e.name)).toEqual(["exp-beta-2"]);
    expect((await list("q=nothing-like-this")).items).toEqual([]);
  });

  it("leaves the spec out of the summary view", async () => {
    const summary = await list("view=summary&limit=3");
    expect(summary.items).toHaveLength(3);
    for (const e of summary.items) expect(e).not.toHaveProperty("spec");
    const full = await list("limit=3");
    expect(full.items[0]).toHaveProperty("spec");
    expect(full.items.map((e) => e.id)).toEqual(summary.items.map((e) => e.id));
  });

  it("names the field of a bad filter", async () => {
    for (const qs of ["state=sleeping", "task=chess", "view=tiny", `q=${"x".repeat(121)}`]) {
      const res = await h.app.inject({ method: "GET", url: `/v1/experiments?${qs}`, headers: auth(h.key) });
      expect(res.statusCode, qs).toBe(400);
      const body = ApiErrorBody.parse(res.json());
      expect(body.code).toBe("TY_ERR_VALIDATION");
      expect(body.issues?.[0]?.path).toEqual(["query", qs.split("=")[0]]);
    }
  });
});

describe("GET /v1/experiments/counts", () => {
  it("counts per state under the other filters", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/experiments/counts", headers: auth(h.key) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      total: 60,
      byState: { queued: 12, running: 12, succeeded: 12, failed: 12, cancel_requested: 0, cancelled: 12 },
    });
    const gp = (
      await h.app.inject({ method: "GET", url: "/v1/experiments/counts?task=general-points&q=alpha", headers: auth(h.key) })
    ).json();
    const names = Array.from({ length: 60 }, (_, i) => row(i, h.projectId)).filter(
      (r) => r.task === "general-points" && r.name.includes("alpha"),
    );
    expect(gp.total).toBe(names.length);
    expect(gp.byState.failed).toBe(names.filter((r) => r.state === "failed").length);
  });
});

describe("POST /v1/experiments/validate", () => {
  it("answers the expanded spec and stores nothing", async () => {
    const before = await h.db.experiment.count();
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/experiments/validate",
      headers: auth(h.key),
      payload: { preset: "demo-cpu", name: "dry", sft: { maxSteps: 10 } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { spec } = res.json();
    expect(spec.name).toBe("dry");
    expect(spec.sft.maxSteps).toBe(10);
    expect(spec.sft.batchSize).toBe(16); // the preset's value survives the override
    expect(spec.arms).toHaveLength(2);
    expect(await h.db.experiment.count()).toBe(before);
  });

  it("answers the same coded errors as a submission, naming the field", async () => {
    const cases: [Record<string, unknown>, string, (string | number)[]][] = [
      [{ preset: "demo-cpu", sft: { batchSize: 0 } }, "TY_ERR_VALIDATION", ["sft", "batchSize"]],
      [{ preset: "demo-cpu", splits: ["id", "all-5"] }, "TY_ERR_SPEC_CONFLICT", ["splits", 1]],
      [{ preset: "chess" }, "TY_ERR_UNKNOWN_PRESET", ["preset"]],
    ];
    for (const [payload, code, path] of cases) {
      const res = await h.app.inject({ method: "POST", url: "/v1/experiments/validate", headers: auth(h.key), payload });
      expect(res.statusCode).toBe(400);
      const body = ApiErrorBody.parse(res.json());
      expect(body.code).toBe(code);
      expect(body.issues?.[0]?.path).toEqual(path);
    }
    const anon = await h.app.inject({ method: "POST", url: "/v1/experiments/validate", payload: { preset: "demo-cpu" } });
    expect(anon.statusCode).toBe(401);
  });
});
