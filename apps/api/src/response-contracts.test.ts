/**
 * The response contract (packages/contracts/src/responses.ts) against the running app: every route
 * is called (with a real database, Redis, a built dataset, evaluations and webhook deliveries),
 * each answer's status must be one the route declares and its body must parse with the declared
 * schema (strict objects: a field the server sends that the contract lacks fails here); every
 * route is also asked without a key (the error envelope). The OpenAPI document must list, for
 * every documented route, exactly the statuses the route declares, each with a schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { z } from "zod";
import { ApiErrorBody, ApiIssue } from "@trainyard/contracts";
import { createApiKey } from "@trainyard/db";
import { LocalArtifactStore, buildDataset, datasetKey, datasetSpecHash, resolveDatasetSpec } from "@trainyard/datasets";
import type { RouteContract } from "./app.js";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-api-contracts-"));
const ids: Record<string, string> = {};
/** "METHOD /route/:pattern" → the statuses seen. */
const seen = new Map<string, Set<number>>();

type Inject = { method: string; route: string; url: string; key?: string | null; payload?: unknown; headers?: Record<string, string> };

const contractOf = (method: string, route: string): RouteContract => {
  const c = h.app.routeContracts.find((r) => r.method === method && r.url === route);
  if (!c) throw new Error(`no contract for ${method} ${route}`);
  return c;
};

/** The declared schema for this answer: by status, then by content type for `content` maps. */
function schemaFor(c: RouteContract, res: LightMyRequestResponse): z.ZodType | undefined {
  const s = c.response[String(res.statusCode)] as z.ZodType | { content: Record<string, { schema: z.ZodType }> } | undefined;
  if (s && "content" in s) {
    const type = String(res.headers["content-type"] ?? "").split(";")[0]!;
    return s.content[type]?.schema;
  }
  return s;
}

/** The error body is strict here (issues included); the contract keeps it open for clients that parse it. */
const StrictError = ApiErrorBody.extend({ issues: z.array(ApiIssue.strict()).optional() }).strict();
const strict = (s: z.ZodType): z.ZodType => (s === ApiErrorBody ? StrictError : s);

async function call(r: Inject): Promise<LightMyRequestResponse> {
  const res = await h.app.inject({
    method: r.method as "GET",
    url: r.url,
    headers: { ...(r.key === null ? {} : auth(r.key ?? h.key)), ...r.headers },
    ...(r.payload !== undefined ? { payload: r.payload as object } : {}),
  });
  const c = contractOf(r.method, r.route);
  const where = `${r.method} ${r.url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(Object.keys(c.response), where).toContain(String(res.statusCode));
  const schema = schemaFor(c, res);
  expect(schema, `${where}: no schema for content-type ${String(res.headers["content-type"])}`).toBeDefined();
  if (res.statusCode === 204 || res.statusCode === 304) expect(res.body, where).toBe("");
  else if (!(schema instanceof z.ZodString)) {
    const parsed = strict(schema!).safeParse(res.json());
    expect(parsed.error?.issues ?? [], where).toEqual([]);
  } else expect(schema.safeParse(res.body).success, where).toBe(true); // text: SSE, CSV, metrics, a file's bytes
  const k = `${r.method} ${r.route}`;
  if (!seen.has(k)) seen.set(k, new Set());
  seen.get(k)!.add(res.statusCode);
  return res;
}

beforeAll(async () => {
  h = await startApiHarness({
    artifactDir,
    lookup: async () => [{ address: "93.184.216.34", family: 4 }],
  });
  const create = await call({
    method: "POST",
    route: "/v1/experiments",
    url: "/v1/experiments",
    payload: { preset: "demo-cpu" },
    headers: { "idempotency-key": "contracts-1" },
  });
  expect(create.statusCode).toBe(201);
  const exp = create.json() as { id: string; jobs: { id: string; kind: string }[] };
  ids.exp = exp.id;
  ids.job = exp.jobs.find((j) => j.kind === "sft")!.id;
  ids.evalJob = exp.jobs.find((j) => j.kind === "eval")!.id;

  const store = new LocalArtifactStore(artifactDir);
  const spec = resolveDatasetSpec({
    task: "sokoban",
    train: { size: 6, arms: [{ data: "frozen", target: "answer" }] },
    eval: { size: 3, splits: ["id"] },
  });
  const prefix = datasetKey(datasetSpecHash(spec));
  const { manifest } = await buildDataset(spec, { store, prefix });
  ids.dataset = (
    await h.db.dataset.create({
      data: { experimentId: exp.id, task: "sokoban", specHash: manifest.specHash, manifest: manifest as never, uri: store.uri(prefix) },
    })
  ).id;
  ids.datasetFile = manifest.files[0]!.path;

  const cp = await h.db.checkpoint.create({
    data: { jobId: ids.job, step: 10, uri: "artifact://ckpt/x/10", sha256: "ab".repeat(32), servingName: "m-10" },
  });
  const ev = await h.db.evalResult.create({
    data: {
      experimentId: exp.id,
      jobId: ids.evalJob,
      checkpointId: cp.id,
      arm: "frozen-ans",
      seed: 0,
      split: "id",
      step: 10,
      n: 1,
      success: 1,
      validity: 1,
      meanReward: 1,
      metrics: { tokens: 5 },
    },
  });
  ids.eval = ev.id;
  await h.db.evalItem.create({
    data: {
      evalResultId: ev.id,
      itemIndex: 0,
      itemKey: 7,
      success: true,
      valid: true,
      reward: 1,
      reason: null,
      turns: [
        {
          prompt: "p",
          completion: "c",
          action: "up",
          actionId: 1,
          valid: true,
          reward: 1,
          reason: null,
          finishReason: "stop",
          promptTokens: 3,
          completionTokens: 2,
          latencyMs: 4,
        },
      ],
      usage: { promptTokens: 3 },
    },
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe("response contracts", () => {
  it("every route's real answers parse with its declared schemas", async () => {
    const e = ids.exp!;
    const routes: Inject[] = [
      { method: "GET", route: "/healthz", url: "/healthz", key: null },
      { method: "GET", route: "/readyz", url: "/readyz", key: null },
      { method: "GET", route: "/metrics", url: "/metrics", key: h.operatorKey },
      { method: "GET", route: "/", url: "/", key: null },
      { method: "POST", route: "/admin/session", url: "/admin/session", key: h.operatorKey },
      { method: "DELETE", route: "/admin/session", url: "/admin/session", key: null },
      // The same idempotent request again: the stored answer.
      {
        method: "POST",
        route: "/v1/experiments",
        url: "/v1/experiments",
        payload: { preset: "demo-cpu" },
        headers: { "idempotency-key": "contracts-1" },
      },
      { method: "GET", route: "/v1/experiments", url: "/v1/experiments" },
      { method: "GET", route: "/v1/experiments", url: "/v1/experiments?view=summary&limit=1" },
      { method: "GET", route: "/v1/experiments/counts", url: "/v1/experiments/counts" },
      { method: "POST", route: "/v1/experiments/validate", url: "/v1/experiments/validate", payload: { preset: "demo-cpu" } },
      { method: "POST", route: "/v1/experiments/validate", url: "/v1/experiments/validate", payload: { preset: "nope" } },
      { method: "GET", route: "/v1/experiments/:id", url: `/v1/experiments/${e}` },
      { method: "GET", route: "/v1/experiments/:id/jobs", url: `/v1/experiments/${e}/jobs` },
      { method: "GET", route: "/v1/experiments/:id/events", url: `/v1/experiments/${e}/events` },
      { method: "GET", route: "/v1/experiments/:id/matrix", url: `/v1/experiments/${e}/matrix` },
      { method: "GET", route: "/v1/experiments/:id/matrix", url: `/v1/experiments/${e}/matrix?format=csv` },
      { method: "GET", route: "/v1/experiments/:id/curves", url: `/v1/experiments/${e}/curves` },
      { method: "GET", route: "/v1/experiments/:id/evals", url: `/v1/experiments/${e}/evals` },
      { method: "GET", route: "/v1/presets", url: "/v1/presets" },
      { method: "GET", route: "/v1/presets/:name", url: "/v1/presets/demo-cpu" },
      { method: "GET", route: "/v1/jobs/:id", url: `/v1/jobs/${ids.job}` },
      { method: "GET", route: "/v1/jobs/:id/checkpoints", url: `/v1/jobs/${ids.job}/checkpoints` },
      { method: "GET", route: "/v1/jobs/:id/attempts", url: `/v1/jobs/${ids.job}/attempts` },
      { method: "GET", route: "/v1/jobs/:id/events", url: `/v1/jobs/${ids.job}/events` },
      { method: "GET", route: "/v1/evals/:id", url: `/v1/evals/${ids.eval}` },
      { method: "GET", route: "/v1/evals/:id/items", url: `/v1/evals/${ids.eval}/items` },
      { method: "GET", route: "/v1/datasets", url: "/v1/datasets" },
      { method: "GET", route: "/v1/datasets/:id", url: `/v1/datasets/${ids.dataset}` },
      { method: "GET", route: "/v1/datasets/:id/rows", url: `/v1/datasets/${ids.dataset}/rows?split=id` },
      { method: "GET", route: "/v1/datasets/:id/files/*", url: `/v1/datasets/${ids.dataset}/files/${ids.datasetFile}` },
      { method: "GET", route: "/v1/datasets/:id/files/*", url: `/v1/datasets/${ids.dataset}/files/manifest.json` },
      { method: "GET", route: "/v1/keys", url: "/v1/keys" },
    ];
    for (const r of routes) await call(r);
    const etag = (await h.app.inject({ url: `/v1/datasets/${ids.dataset}/files/manifest.json`, headers: auth(h.key) })).headers.etag;
    await call({
      method: "GET",
      route: "/v1/datasets/:id/files/*",
      url: `/v1/datasets/${ids.dataset}/files/manifest.json`,
      headers: { "if-none-match": String(etag) },
    });

    // Webhooks: create, read, change, test, deliveries, redeliver, rotate, delete.
    const hook = await call({
      method: "POST",
      route: "/v1/webhooks",
      url: "/v1/webhooks",
      payload: { url: "https://hooks.example.com/ty" },
    });
    const w = (hook.json() as { id: string }).id;
    await call({ method: "GET", route: "/v1/webhooks", url: "/v1/webhooks" });
    await call({ method: "GET", route: "/v1/webhooks/:id", url: `/v1/webhooks/${w}` });
    await call({ method: "PATCH", route: "/v1/webhooks/:id", url: `/v1/webhooks/${w}`, payload: { description: "contracts" } });
    const test = await call({ method: "POST", route: "/v1/webhooks/:id/test", url: `/v1/webhooks/${w}/test` });
    const d = (test.json() as { id: string }).id;
    await call({ method: "GET", route: "/v1/webhooks/:id/deliveries", url: `/v1/webhooks/${w}/deliveries` });
    await call({ method: "GET", route: "/v1/webhooks/deliveries/:deliveryId", url: `/v1/webhooks/deliveries/${d}` });
    await call({ method: "POST", route: "/v1/webhooks/deliveries/:deliveryId/redeliver", url: `/v1/webhooks/deliveries/${d}/redeliver` });
    await call({ method: "POST", route: "/v1/webhooks/:id/rotate-secret", url: `/v1/webhooks/${w}/rotate-secret` });
    await call({ method: "PATCH", route: "/v1/webhooks/:id", url: `/v1/webhooks/${w}`, payload: { enabled: false } });
    await call({ method: "POST", route: "/v1/webhooks/:id/test", url: `/v1/webhooks/${w}/test` }); // 409: disabled
    await call({ method: "DELETE", route: "/v1/webhooks/:id", url: `/v1/webhooks/${w}` });

    // Keys: revoke two throwaway keys, one per route.
    for (const [method, route, suffix] of [
      ["POST", "/v1/keys/:id/revoke", "/revoke"],
      ["DELETE", "/v1/keys/:id", ""],
    ] as const) {
      const { keyId } = await createApiKey(h.db, "alpha", "throwaway");
      await call({ method, route, url: `/v1/keys/${keyId}${suffix}` });
    }

    // Cancel, then stream the (now finished) experiment and one of its jobs to their end.
    await call({ method: "POST", route: "/v1/experiments/:id/cancel", url: `/v1/experiments/${e}/cancel` });
    await call({ method: "GET", route: "/v1/experiments/:id/events/stream", url: `/v1/experiments/${e}/events/stream` });
    await call({ method: "GET", route: "/v1/jobs/:id/events/stream", url: `/v1/jobs/${ids.job}/events/stream` });
  }, 60_000);

  it("every route answers a request without a key (or with a wrong id) with a declared error body", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    for (const c of h.app.routeContracts) {
      if (c.method === "HEAD" || ["/healthz", "/readyz", "/"].includes(c.url) || (c.url === "/admin/session" && c.method === "DELETE"))
        continue;
      const url = c.url
        .replace(/:id|:deliveryId/g, missing)
        .replace(":name", "no-such-preset")
        .replace("*", "x.jsonl");
      const res = await call({ method: c.method, route: c.url, url, key: null, ...(c.method === "GET" ? {} : { payload: {} }) });
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(401);
      if (c.url.includes(":")) {
        const nf = await call({ method: c.method, route: c.url, url, ...(c.method === "GET" ? {} : { payload: {} }) });
        expect([400, 404], `${c.method} ${c.url}`).toContain(nf.statusCode);
      }
    }
  });

  it("the test called every route the app declares", () => {
    const declared = h.app.routeContracts.filter((c) => c.method !== "HEAD").map((c) => `${c.method} ${c.url}`);
    expect([...seen.keys()].sort()).toEqual([...new Set(declared)].sort());
  });

  it("the OpenAPI document lists every documented route with each status it declares, each with a schema", async () => {
    const res = await h.app.inject({ url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
    };
    const documented = h.app.routeContracts.filter((c) => !c.hidden && c.method !== "HEAD");
    expect(documented.length).toBeGreaterThan(30);
    for (const c of documented) {
      const path = c.url.replace(/:(\w+)/g, "{$1}").replace(/\*$/, "{*}");
      const op = doc.paths[path]?.[c.method.toLowerCase()];
      expect(op, `${c.method} ${path} in the document`).toBeDefined();
      const responses = op!.responses ?? {};
      expect(Object.keys(responses).sort(), `${c.method} ${path}`).toEqual(Object.keys(c.response).sort());
      for (const [status, r] of Object.entries(responses)) {
        if (status === "204" || status === "304") continue;
        const media = Object.values(r.content ?? {});
        expect(media.length, `${c.method} ${path} ${status}`).toBeGreaterThan(0);
        for (const m of media) expect(m.schema, `${c.method} ${path} ${status}`).toBeDefined();
        if (Number(status) >= 400) {
          const schema = r.content!["application/json"]!.schema as { properties?: Record<string, unknown>; required?: string[] };
          expect(schema.required, `${c.method} ${path} ${status}: the error envelope`).toEqual(
            expect.arrayContaining(["statusCode", "code", "error", "message"]),
          );
        }
      }
    }
  });
});
