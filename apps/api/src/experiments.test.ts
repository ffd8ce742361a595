import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody, ERROR_CODES } from "@trainyard/contracts";
import { createApiKey } from "@trainyard/db";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

async function counts() {
  const [experiments, jobs, events, outbox] = await Promise.all([
    h.db.experiment.count(),
    h.db.job.count(),
    h.db.jobEvent.count(),
    h.db.outboxMessage.count(),
  ]);
  return { experiments, jobs, events, outbox };
}

function expectError(res: { statusCode: number; json(): unknown }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  const body = ApiErrorBody.parse(res.json());
  expect(body.code).toBe(code);
  expect(body.statusCode).toBe(status);
  expect(ERROR_CODES).toHaveProperty(code);
  return body;
}

describe("POST /v1/experiments", () => {
  it("expands the demo-cpu preset, stores the experiment and its DAG, and reads back", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(h.key), payload: { preset: "demo-cpu" } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.state).toBe("queued");
    expect(body.spec.preset).toBe("demo-cpu");
    expect(body.spec.model.engine).toBe("cpu-tiny");
    expect(body.spec.splits).toContain("fake");
    const names = body.jobs.map((j: { name: string }) => j.name);
    expect(names[0]).toBe("dataset-build");
    expect(names).toContain("sft:frozen-ans:s0");
    expect(names).toContain("eval:diverse-ans:s0");
    const evalJob = body.jobs.find((j: { name: string }) => j.name === "eval:frozen-ans:s0");
    expect(evalJob.dependsOn).toEqual(["sft:frozen-ans:s0"]);

    const rows = await h.db.job.findMany({ where: { experimentId: body.id } });
    expect(rows).toHaveLength(body.jobs.length);
    const outbox = await h.db.outboxMessage.findMany();
    // Only the root is ready; the rest wait for their dependencies.
    expect(outbox.filter((o) => (o.payload as { experimentId: string }).experimentId === body.id)).toHaveLength(1);

    const get = await h.app.inject({ method: "GET", url: `/v1/experiments/${body.id}`, headers: auth(h.key) });
    expect(get.statusCode).toBe(200);
    expect(get.json().spec).toEqual(body.spec);
    expect(get.json().jobs.map((j: { id: string }) => j.id)).toEqual(body.jobs.map((j: { id: string }) => j.id));
  });

  it("stores a retried submission once per Idempotency-Key, even under 50 concurrent requests", async () => {
    const before = await counts();
    const headers = { ...auth(h.key), "idempotency-key": "retry-1" };
    const a = await h.app.inject({ method: "POST", url: "/v1/experiments", headers, payload: { preset: "demo-cpu", name: "idem" } });
    const b = await h.app.inject({ method: "POST", url: "/v1/experiments", headers, payload: { preset: "demo-cpu", name: "idem" } });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(b.json().id).toBe(a.json().id);
    expect((await counts()).experiments).toBe(before.experiments + 1);

    const concurrentHeaders = { ...auth(h.key), "idempotency-key": "burst-50" };
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.app.inject({
          method: "POST",
          url: "/v1/experiments",
          headers: concurrentHeaders,
          payload: { preset: "demo-cpu", name: "burst" },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    expect(await h.db.experiment.count({ where: { name: "burst" } })).toBe(1);

    const other = await h.app.inject({
      method: "POST",
      url: "/v1/experiments",
      headers,
      payload: { preset: "demo-cpu", name: "different" },
    });
    expectError(other, 422, "TY_ERR_IDEMPOTENCY_MISMATCH");
  });

  it("rejects malformed bodies with a TY_ERR code and the field path, and stores nothing", async () => {
    const before = await counts();
    const post = (payload: string, contentType = "application/json") =>
      h.app.inject({ method: "POST", url: "/v1/experiments", headers: { ...auth(h.key), "content-type": contentType }, payload });

    const wrongType = expectError(await post(JSON.stringify({ preset: "demo-cpu", seeds: "zero" })), 400, "TY_ERR_VALIDATION");
    expect(wrongType.issues?.map((i) => i.path)).toContainEqual(["seeds"]);
    const task = expectError(await post(JSON.stringify({ preset: "demo-cpu", task: "chess" })), 400, "TY_ERR_VALIDATION");
    expect(task.issues?.map((i) => i.path)).toContainEqual(["task"]);
    const neg = expectError(
      await post(JSON.stringify({ preset: "demo-cpu", datasets: { train: { size: -1 } } })),
      400,
      "TY_ERR_VALIDATION",
    );
    expect(neg.issues?.map((i) => i.path)).toContainEqual(["datasets", "train", "size"]);
    const huge = expectError(await post(JSON.stringify({ preset: "demo-cpu", name: "x".repeat(100_000) })), 400, "TY_ERR_VALIDATION");
    expect(huge.issues?.map((i) => i.path)).toContainEqual(["name"]);
    expectError(await post(JSON.stringify({ preset: "demo-cpu", name: "y".repeat(2_000_000) })), 413, "TY_ERR_PAYLOAD_TOO_LARGE");
    expectError(await post('{"preset": "demo-cpu",'), 400, "TY_ERR_INVALID_JSON");
    expectError(await post(""), 400, "TY_ERR_INVALID_JSON");
    expectError(await post("preset=demo-cpu", "text/plain"), 415, "TY_ERR_UNSUPPORTED_MEDIA_TYPE");
    expectError(await post("preset=demo-cpu", "application/x-www-form-urlencoded"), 415, "TY_ERR_UNSUPPORTED_MEDIA_TYPE");
    expectError(await post("[1,2]"), 400, "TY_ERR_VALIDATION");
    const preset = expectError(await post(JSON.stringify({ preset: "paper-chess" })), 400, "TY_ERR_UNKNOWN_PRESET");
    expect(preset.issues?.[0]?.path).toEqual(["preset"]);
    const conflict = expectError(await post(JSON.stringify({ preset: "demo-cpu", splits: ["all-5"] })), 400, "TY_ERR_SPEC_CONFLICT");
    expect(conflict.issues?.[0]?.path).toEqual(["splits", 0]);
    expect(await counts()).toEqual(before);
  });
});

describe("auth and scoping", () => {
  it("answers 401 without a key or with a wrong one, and 404 for another project's experiment", async () => {
    expectError(await h.app.inject({ method: "GET", url: "/v1/experiments" }), 401, "TY_ERR_UNAUTHORIZED");
    expectError(await h.app.inject({ method: "GET", url: "/v1/experiments", headers: auth("ty_wrong") }), 401, "TY_ERR_UNAUTHORIZED");
    expectError(
      await h.app.inject({ method: "GET", url: "/v1/experiments", headers: { authorization: "Basic abc" } }),
      401,
      "TY_ERR_UNAUTHORIZED",
    );
    expectError(
      await h.app.inject({ method: "POST", url: "/v1/experiments", payload: { preset: "demo-cpu" } }),
      401,
      "TY_ERR_UNAUTHORIZED",
    );

    const mine = await h.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(h.key), payload: { preset: "demo-cpu" } });
    const other = await createApiKey(h.db, "beta");
    expectError(
      await h.app.inject({ method: "GET", url: `/v1/experiments/${mine.json().id}`, headers: auth(other.key) }),
      404,
      "TY_ERR_NOT_FOUND",
    );
    expectError(
      await h.app.inject({ method: "POST", url: `/v1/experiments/${mine.json().id}/cancel`, headers: auth(other.key) }),
      404,
      "TY_ERR_NOT_FOUND",
    );
    const jobId = mine.json().jobs[0].id;
    expectError(await h.app.inject({ method: "GET", url: `/v1/jobs/${jobId}`, headers: auth(other.key) }), 404, "TY_ERR_NOT_FOUND");
    const list = await h.app.inject({ method: "GET", url: "/v1/experiments", headers: auth(other.key) });
    expect(list.json().items).toEqual([]);
    expectError(await h.app.inject({ method: "GET", url: `/v1/experiments/not-a-uuid`, headers: auth(h.key) }), 404, "TY_ERR_NOT_FOUND");
  });
});

describe("listing", () => {
  it("pages newest first with a cursor and filters", async () => {
    const { key } = await createApiKey(h.db, "gamma");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.app.inject({
        method: "POST",
        url: "/v1/experiments",
        headers: auth(key),
        payload: { preset: i % 2 ? "paper-sokoban" : "demo-cpu", name: `e${i}` },
      });
      ids.push(r.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/experiments?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await h.app.inject({ method: "GET", url, headers: auth(key) });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().items.map((e: { id: string }) => e.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const filtered = await h.app.inject({ method: "GET", url: "/v1/experiments?preset=paper-sokoban", headers: auth(key) });
    expect(filtered.json().items).toHaveLength(2);
    expectError(
      await h.app.inject({ method: "GET", url: "/v1/experiments?cursor=garbage", headers: auth(key) }),
      400,
      "TY_ERR_INVALID_CURSOR",
    );
    expectError(await h.app.inject({ method: "GET", url: "/v1/experiments?limit=0", headers: auth(key) }), 400, "TY_ERR_VALIDATION");
  });
});

describe("operations", () => {
  it("serves health, readiness, OpenAPI docs and a guarded bull-board", async () => {
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ ok: true });
    const ready = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ postgres: { ok: true }, redis: { ok: true } });
    const doc = await h.app.inject({ method: "GET", url: "/docs/json" });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toContain("/v1/experiments");
    expect((await h.app.inject({ method: "GET", url: "/docs" })).statusCode).toBeLessThan(400);
    expectError(await h.app.inject({ method: "GET", url: "/admin/queues" }), 401, "TY_ERR_UNAUTHORIZED");
    expectError(await h.app.inject({ method: "GET", url: "/admin/queues/api/queues", headers: auth(h.key) }), 403, "TY_ERR_FORBIDDEN");
    const board = await h.app.inject({ method: "GET", url: "/admin/queues/api/queues", headers: auth(h.operatorKey) });
    expect(board.statusCode).toBe(200);
    expect(
      board
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(["dataset-build", "eval", "grpo", "sft"]);
    // A missing API route (other paths are the dashboard's client routes).
    const res = await h.app.inject({ method: "GET", url: "/v1/nope", headers: { "x-request-id": "req-123" } });
    expectError(res, 404, "TY_ERR_ROUTE_NOT_FOUND");
    expect(res.headers["x-request-id"]).toBe("req-123");
  });
});
