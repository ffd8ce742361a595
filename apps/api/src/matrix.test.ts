import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Store one evaluation with `k` successes out of `n` items. */
async function storeEval(experimentId: string, jobId: string, arm: string, split: string, step: number, k: number, n = 20) {
  const r = await h.db.evalResult.create({
    data: { experimentId, jobId, arm, seed: 0, split, step, n, success: k / n, validity: 1, meanReward: k / n, metrics: {} },
  });
  await h.db.evalItem.createMany({
    data: Array.from({ length: n }, (_, i) => ({
      evalResultId: r.id,
      itemIndex: i,
      itemKey: 123 + i,
      success: i < k,
      valid: true,
      reward: i < k ? 1 : 0,
      reason: i < k ? null : "not_solved",
      turns: [],
      usage: {},
    })),
  });
  return r.id;
}

describe("GET /v1/experiments/:id/matrix", () => {
  it("returns every arm × split cell with CIs, the paper's values, chosen checkpoints and paired differences", async () => {
    const exp = (
      await h.app.inject({
        method: "POST",
        url: "/v1/experiments",
        headers: auth(h.key),
        payload: {
          preset: "paper-sokoban",
          arms: [
            { name: "ans", method: "sft", data: "frozen", target: "answer" },
            { name: "diverse-ans", method: "sft", data: "diverse", target: "answer" },
          ],
        },
      })
    ).json();
    const evalJob = (arm: string) => exp.jobs.find((j: { name: string }) => j.name === `eval:${arm}:s0`).id;
    const splits: string[] = exp.spec.splits;
    for (const split of splits) {
      // ans: a shortcut learner (Fake high, instruction variants 0); better at step 20 except on Fake.
      const ansRate = split === "fake" ? 19 : ["alpha", "num", "rand"].includes(split) ? 0 : 18;
      await storeEval(exp.id, evalJob("ans"), "ans", split, 10, Math.max(0, ansRate - 4));
      await storeEval(exp.id, evalJob("ans"), "ans", split, 20, ansRate);
      await storeEval(exp.id, evalJob("diverse-ans"), "diverse-ans", split, 20, split === "fake" ? 0 : 17);
    }
    const itemsId = await storeEval(exp.id, evalJob("ans"), "ans", "validation", 10, 20);
    await storeEval(exp.id, evalJob("ans"), "ans", "validation", 20, 5);

    const res = await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix`, headers: auth(h.key) });
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m.rows.map((r: { arm: string }) => r.arm)).toEqual(["ans", "diverse-ans"]);
    for (const r of m.rows) for (const s of splits) expect(r.cells[s], `${r.arm}/${s}`).not.toBeNull();
    const ans = m.rows[0];
    expect(ans.checkpoints["0"]).toEqual({ paper: 20, ours: 10, last: 20 });
    expect(ans.cells.id.mean).toBeCloseTo(0.9);
    expect(ans.cells.id.ci95[0]).toBeLessThanOrEqual(0.9);
    expect(ans.cells.id.ci95[1]).toBeGreaterThanOrEqual(0.9);
    expect(ans.cells.id.paper).toBe(0.98);
    expect(ans.cells.fake.paper).toBe(0.93);
    expect(m.paperModel).toBe("Qwen/Qwen2.5-7B");
    const alpha = m.paired.find(
      (p: { a: string; b: string; split: string }) => p.a === "diverse-ans" && p.b === "ans" && p.split === "alpha",
    );
    expect(alpha.diff).toBeCloseTo(0.85);
    expect(alpha.n).toBe(20);

    const ours = (await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix?select=ours`, headers: auth(h.key) })).json();
    expect(ours.rows[0].cells.id.mean).toBeCloseTo(0.7);

    const csv = await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix?format=csv`, headers: auth(h.key) });
    expect(csv.headers["content-type"]).toContain("text/csv");
    const lines = csv.body.trim().split("\n");
    expect(lines[0]).toBe("arm,method,data,target,split,group,mean,ci_low,ci_high,n,seeds,validity,paper");
    expect(lines).toHaveLength(1 + 2 * splits.length);

    const items = (await h.app.inject({ method: "GET", url: `/v1/evals/${itemsId}/items?limit=5`, headers: auth(h.key) })).json();
    expect(items.items).toHaveLength(5);
    expect(items.nextAfter).toBe(4);
    const bad = await h.app.inject({ method: "GET", url: `/v1/experiments/${exp.id}/matrix?select=best`, headers: auth(h.key) });
    expect(bad.json().code).toBe("TY_ERR_VALIDATION");
  });
});
