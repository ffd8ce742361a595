/**
 * Regression tests for the defects of the production-hardening review, one named test per defect,
 * against a real Postgres and Redis (and real sockets where the defect lives below Fastify).
 */
import { connect, createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import pino from "pino";
import { ApiErrorBody } from "@trainyard/contracts";
import { createApiKey, createPrisma } from "@trainyard/db";
import { buildApp } from "./app.js";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
let otherKey: string;
beforeAll(async () => {
  h = await startApiHarness({
    config: {
      COMPUTE_IMAGES: { allowed: ["trainyard-trainer-cpu:latest", "trainyard-trainer-cuda:latest"], default: null },
      K8S_NAMESPACES: { allowed: ["trainyard"], default: "trainyard" },
      K8S_NODE_SELECTORS: { allowed: ["gpu=a100"], default: null },
      SSE_MAX_STREAMS_PER_KEY: 2,
    },
    lookup: async (host) =>
      host === "hooks.example.com" ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "10.0.0.8", family: 4 }],
  });
  otherKey = (await createApiKey(h.db, "beta")).key;
});
afterAll(async () => {
  await h?.close();
});

function expectError(res: { statusCode: number; body: string; json(): unknown }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = ApiErrorBody.parse(res.json());
  expect(body.code, res.body).toBe(code);
  return body;
}

const post = (url: string, payload: unknown, key = h.key, headers: Record<string, string> = {}) =>
  h.app.inject({ method: "POST", url, headers: { ...auth(key), ...headers }, payload: payload as object });
const get = (url: string, key = h.key, headers: Record<string, string> = {}) =>
  h.app.inject({ method: "GET", url, headers: { ...auth(key), ...headers } });

async function submit(body: Record<string, unknown>, key = h.key) {
  const res = await post("/v1/experiments", body, key);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; jobs: { id: string }[] };
}

describe("operator vs tenant", () => {
  it("bull-board refuses a tenant key: PUT /admin/queues/api/queues/pause is 403, not 200", async () => {
    const res = await h.app.inject({ method: "PUT", url: "/admin/queues/api/queues/pause", headers: auth(h.key) });
    expectError(res, 403, "TY_ERR_FORBIDDEN");
    expectError(await get("/admin/queues/api/queues"), 403, "TY_ERR_FORBIDDEN");
    expectError(await get("/admin/queues"), 403, "TY_ERR_FORBIDDEN");
  });

  it("bull-board is read-only for operators unless configured", async () => {
    expect((await get("/admin/queues/api/queues", h.operatorKey)).statusCode).toBe(200);
    const res = await h.app.inject({ method: "PUT", url: "/admin/queues/api/queues/pause", headers: auth(h.operatorKey) });
    expectError(res, 403, "TY_ERR_FORBIDDEN");
    const add = await h.app.inject({ method: "POST", url: "/admin/queues/api/queues/sft/add", headers: auth(h.operatorKey), payload: {} });
    expectError(add, 403, "TY_ERR_FORBIDDEN");
  });

  it("the bull-board cookie is server-set HttpOnly SameSite=Strict, operator keys only, and honoured under /admin only", async () => {
    expectError(await post("/admin/session", {}, h.key), 403, "TY_ERR_FORBIDDEN");
    const res = await h.app.inject({ method: "POST", url: "/admin/session", headers: auth(h.operatorKey) });
    expect(res.statusCode, res.body).toBe(204);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/^ty_key=ty_/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/admin");
    const pair = cookie.split(";")[0]!;
    expect((await h.app.inject({ method: "GET", url: "/admin/queues/api/queues", headers: { cookie: pair } })).statusCode).toBe(200);
    // Elsewhere the cookie is not a credential (a cross-site form could send it).
    expectError(await h.app.inject({ method: "GET", url: "/v1/experiments", headers: { cookie: pair } }), 401, "TY_ERR_UNAUTHORIZED");
  });

  it("compute.image attacker/anything:latest on docker is 403 naming compute.image; listed images, namespaces, selectors pass", async () => {
    const bad = await post("/v1/experiments", { preset: "demo-cpu", compute: { backend: "docker", image: "attacker/anything:latest" } });
    const body = expectError(bad, 403, "TY_ERR_COMPUTE_NOT_ALLOWED");
    expect(body.issues?.[0]?.path).toEqual(["compute", "image"]);
    const ns = await post("/v1/experiments/validate", { preset: "demo-cpu", compute: { backend: "kubernetes", namespace: "kube-system" } });
    expect(expectError(ns, 403, "TY_ERR_COMPUTE_NOT_ALLOWED").issues?.[0]?.path).toEqual(["compute", "namespace"]);
    const sel = await post("/v1/experiments/validate", {
      preset: "demo-cpu",
      compute: { backend: "kubernetes", nodeSelector: { "node-role": "control-plane" } },
    });
    expect(expectError(sel, 403, "TY_ERR_COMPUTE_NOT_ALLOWED").issues?.[0]?.path).toEqual(["compute", "nodeSelector", "node-role"]);
    const ok = await post("/v1/experiments/validate", {
      preset: "demo-cpu",
      compute: { backend: "kubernetes", image: "trainyard-trainer-cpu:latest", nodeSelector: { gpu: "a100" } },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().spec.compute.namespace).toBe("trainyard");
  });

  it("keys are listed with lastUsedAt and revoked over the API; a revoked key is refused at once", async () => {
    const extra = await createApiKey(h.db, "alpha", "ci");
    expect((await get("/v1/experiments", extra.key)).statusCode).toBe(200);
    const list = await get("/v1/keys");
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as { id: string; project: string; lastUsedAt: string | null; operator: boolean }[];
    expect(new Set(items.map((k) => k.project))).toEqual(new Set(["alpha"]));
    expect(items.find((k) => k.id === extra.keyId)?.lastUsedAt).not.toBeNull();
    expectError(await get("/v1/keys?project=beta"), 403, "TY_ERR_FORBIDDEN");
    // Another project's key is invisible to a tenant.
    const beta = (await get("/v1/keys", otherKey)).json().items as { id: string }[];
    expectError(await post(`/v1/keys/${beta[0]!.id}/revoke`, {}), 404, "TY_ERR_NOT_FOUND");
    expectError(await post("/v1/keys/not-a-uuid/revoke", {}), 400, "TY_ERR_VALIDATION");
    const revoked = await post(`/v1/keys/${extra.keyId}/revoke`, {});
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expectError(await get("/v1/experiments", extra.key), 401, "TY_ERR_UNAUTHORIZED");
    const all = (await get("/v1/keys", h.operatorKey)).json().items as { project: string }[];
    expect(new Set(all.map((k) => k.project))).toEqual(new Set(["alpha", "beta", "ops"]));
  });
});

describe("caps and the dataset builder's validation", () => {
  it("32 arms × 16 seeds with saveSteps 1 (1,537 jobs) is 400 TY_ERR_SPEC_TOO_LARGE, not accepted", async () => {
    const arms = Array.from({ length: 32 }, (_, i) => ({ name: `a${i}`, method: "sft-then-grpo", data: "frozen", target: "answer" }));
    const seeds = Array.from({ length: 16 }, (_, i) => i);
    const res = await post("/v1/experiments", { preset: "demo-cpu", arms, seeds, sft: { saveSteps: 1 }, grpo: { saveSteps: 1 } });
    const body = expectError(res, 400, "TY_ERR_SPEC_TOO_LARGE");
    expect(body.issues?.map((i) => i.path.join("."))).toContain("arms");
    expect(await h.db.experiment.count()).toBe(0);
  });

  it("an arm's own step budget counts against the checkpoint cap, naming that arm's field", async () => {
    const arms = [
      { name: "frozen-ans", method: "sft", data: "frozen", target: "answer" },
      { name: "diverse-ans", method: "sft", data: "diverse", target: "answer", sft: { maxSteps: 100_000, saveSteps: 10 } },
    ];
    const res = await post("/v1/experiments", { preset: "demo-cpu", arms });
    const body = expectError(res, 400, "TY_ERR_SPEC_TOO_LARGE");
    expect(body.issues?.[0]?.path).toEqual(["arms", 1, "sft", "saveSteps"]);
    expect(body.message).toMatch(/diverse-ans/);
    expect(await h.db.experiment.count()).toBe(0);
  });

  it("train.size 1e6 is refused by the cap (MAX_TRAIN_SIZE)", async () => {
    const res = await post("/v1/experiments", { preset: "demo-cpu", datasets: { train: { size: 1_000_000 } } });
    expect(expectError(res, 400, "TY_ERR_SPEC_TOO_LARGE").issues?.[0]?.path).toEqual(["datasets", "train", "size"]);
  });

  it("GP diverse train.size 7 is refused at submit with the dataset builder's own error", async () => {
    const res = await post("/v1/experiments", {
      preset: "paper-general-points",
      arms: [{ name: "diverse-ans", method: "sft", data: "diverse", target: "answer" }],
      datasets: { train: { size: 7 } },
    });
    const body = expectError(res, 400, "TY_ERR_DATASET_INVALID_SPEC");
    expect(body.message).toMatch(/^datasets\.train/);
  });

  it("eval.seedStart 4294967295 is refused at submit, not as a failed job", async () => {
    const res = await post("/v1/experiments/validate", { preset: "demo-cpu", datasets: { eval: { seedStart: 4_294_967_295 } } });
    expect(res.statusCode, res.body).toBe(400);
    expect(ApiErrorBody.parse(res.json()).code).toMatch(/^TY_ERR_(DATASET_INVALID_SPEC|SPEC_CONFLICT)$/);
  });
});

describe("bad input is a 4xx naming the field, never a 500", () => {
  it("POST /v1/experiments/<not-a-uuid>/cancel is 404", async () => {
    expectError(await post("/v1/experiments/not-a-uuid/cancel", {}), 404, "TY_ERR_NOT_FOUND");
  });

  it("a cursor whose id is 36 dashes, or whose date is outside Postgres' range, is 400 TY_ERR_INVALID_CURSOR", async () => {
    const dashes = Buffer.from(JSON.stringify([new Date().toISOString(), "-".repeat(36)])).toString("base64url");
    const farFuture = Buffer.from(JSON.stringify(["+275760-09-13T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"])).toString(
      "base64url",
    );
    const bc = Buffer.from(JSON.stringify(["-004714-01-01T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"])).toString("base64url");
    for (const c of [dashes, farFuture, bc])
      for (const route of ["/v1/experiments", "/v1/datasets"]) {
        const body = expectError(await get(`${route}?cursor=${c}`), 400, "TY_ERR_INVALID_CURSOR");
        expect(body.issues?.[0]?.path).toEqual(["query", "cursor"]);
      }
  });

  it("?after=99999999999 (32-bit overflow) on event routes is 400 naming query.after", async () => {
    const exp = await submit({ preset: "demo-cpu", name: "overflow" });
    for (const url of [
      `/v1/experiments/${exp.id}/events`,
      `/v1/jobs/${exp.jobs[0]!.id}/events`,
      `/v1/experiments/${exp.id}/events/stream`,
    ]) {
      const body = expectError(await get(`${url}?after=99999999999`), 400, "TY_ERR_VALIDATION");
      expect(body.issues?.[0]?.path).toEqual(["query", "after"]);
    }
  });

  it("NUL or a lone surrogate in a name or description is 400 naming the field", async () => {
    const nul = await post("/v1/experiments", { preset: "demo-cpu", name: "a\u0000b" });
    expect(expectError(nul, 400, "TY_ERR_VALIDATION").issues?.[0]?.path).toEqual(["name"]);
    const lone = await h.app.inject({
      method: "POST",
      url: "/v1/webhooks",
      headers: { ...auth(h.key), "content-type": "application/json" },
      payload: '{"url":"https://hooks.example.com/x","events":["job.failed"],"description":"x\\ud800y"}',
    });
    expect(expectError(lone, 400, "TY_ERR_VALIDATION").issues?.[0]?.path).toEqual(["description"]);
    const q = await get("/v1/experiments?q=%00x");
    expect(expectError(q, 400, "TY_ERR_VALIDATION").issues?.[0]?.path).toEqual(["query", "q"]);
  });

  it("a malformed ty_key cookie is 401 on every route, never 500", async () => {
    for (const cookie of ["ty_key=%E0%A4%A", "ty_key=%", 'ty_key="', "ty_key=ty_%ZZ; other=1"])
      for (const url of ["/v1/experiments", "/admin/queues", "/admin/queues/api/queues", "/v1/presets"]) {
        const res = await h.app.inject({ method: "GET", url, headers: { cookie } });
        expectError(res, 401, "TY_ERR_UNAUTHORIZED");
      }
  });

  it("FST_ERR_MAX_PARAM_LENGTH is 414 TY_ERR_URI_TOO_LONG and FST_ERR_BAD_URL is 400 TY_ERR_BAD_REQUEST", async () => {
    expectError(await get(`/v1/experiments/${"a".repeat(500)}`), 414, "TY_ERR_URI_TOO_LONG");
    expectError(await get("/v1/experiments/%E0%A4%A"), 400, "TY_ERR_BAD_REQUEST");
  });

  it("Node's bare 'Client Error' (malformed request line, huge headers) answers the one error body", async () => {
    const url = await h.app.listen({ port: 0, host: "127.0.0.1" });
    const port = Number(new URL(url).port);
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => s.write(text));
        let out = "";
        s.on("data", (d) => (out += d.toString()));
        s.on("end", () => resolve(out));
        s.on("error", reject);
      });
    const bad = await raw("GET /v1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(bad.slice(bad.indexOf("\r\n\r\n") + 4)).code).toBe("TY_ERR_BAD_REQUEST");
    const huge = await raw(`GET /v1 HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431/);
    expect(JSON.parse(huge.slice(huge.indexOf("\r\n\r\n") + 4)).code).toBe("TY_ERR_HEADERS_TOO_LARGE");
  });
});

describe("browser-safe auth", () => {
  it("a cross-site POST to /v1/experiments/ID/cancel is refused (403) and cancels nothing", async () => {
    const exp = await submit({ preset: "demo-cpu", name: "csrf-target" });
    const res = await post(`/v1/experiments/${exp.id}/cancel`, {}, h.key, { origin: "https://evil.example" });
    expectError(res, 403, "TY_ERR_FORBIDDEN");
    const sameSite = await post(`/v1/experiments/${exp.id}/cancel`, {}, h.key, { origin: "http://localhost:80", host: "localhost:80" });
    expect(sameSite.statusCode, sameSite.body).toBe(202);
  });

  it("sends security headers and no CORS headers by default", async () => {
    const res = await get("/v1/experiments", h.key, { origin: "https://evil.example" });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBeDefined();
    expect(res.headers["strict-transport-security"]).toBeDefined();
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("streams", () => {
  it("Last-Event-ID past the end answers `end` at once instead of 200-then-close", async () => {
    const exp = await submit({ preset: "demo-cpu", name: "sse-end" });
    const res = await get(`/v1/experiments/${exp.id}/events/stream`, h.key, { "last-event-id": "999999" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/event: end\ndata: \{"reason":"cursor past the last event"/);
    expectError(await get(`/v1/experiments/${exp.id}/events/stream`, h.key, { "last-event-id": "99999999999" }), 400, "TY_ERR_VALIDATION");
  });

  it("HEAD on a stream is refused (405), not a poll", async () => {
    const exp = await submit({ preset: "demo-cpu", name: "sse-head" });
    const res = await h.app.inject({ method: "HEAD", url: `/v1/experiments/${exp.id}/events/stream`, headers: auth(h.key) });
    expect(res.statusCode).toBe(405);
  });

  it("streams are capped per key (429 TY_ERR_QUOTA_EXCEEDED past SSE_MAX_STREAMS_PER_KEY)", async () => {
    const exp = await submit({ preset: "demo-cpu", name: "sse-cap" });
    const url = await h.app
      .listen({ port: 0, host: "127.0.0.1" })
      .catch(() => `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`);
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(
      controllers.map((c) => fetch(`${url}/v1/experiments/${exp.id}/events/stream`, { headers: auth(h.key), signal: c.signal })),
    );
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await fetch(`${url}/v1/experiments/${exp.id}/events/stream`, { headers: auth(h.key) });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe("TY_ERR_QUOTA_EXCEEDED");
    // Another key is not affected.
    const c3 = new AbortController();
    const other = await fetch(`${url}/v1/experiments/${exp.id}/events/stream`, { headers: auth(otherKey), signal: c3.signal });
    expect(other.status).toBe(404); // beta cannot see alpha's experiment, but got past the gate
    for (const c of controllers) c.abort();
    c3.abort();
  });
});

describe("webhooks", () => {
  it("the SSRF guard refuses 64:ff9b:1::/48, Teredo 2001::/32, 192.88.99.0/24 and ports other than 80/443", async () => {
    for (const u of [
      "https://[64:ff9b:1::a00:1]/h",
      "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h",
      "https://192.88.99.1/h",
      "https://93.184.216.34:8080/h",
      "http://93.184.216.34:22/h",
    ]) {
      const res = await post("/v1/webhooks", { url: u, events: ["job.failed"] });
      expect(expectError(res, 400, "TY_ERR_WEBHOOK_URL_FORBIDDEN").issues?.[0]?.path, u).toEqual(["url"]);
    }
  });

  it("the spec's webhooks[] is checked at submit (400 naming webhooks.0.url)", async () => {
    const res = await post("/v1/experiments", { preset: "demo-cpu", webhooks: [{ url: "http://169.254.169.254/latest/meta-data" }] });
    expect(expectError(res, 400, "TY_ERR_WEBHOOK_URL_FORBIDDEN").issues?.[0]?.path).toEqual(["webhooks", 0, "url"]);
    const dns = await post("/v1/experiments/validate", { preset: "demo-cpu", webhooks: [{ url: "https://internal.example.com/h" }] });
    expectError(dns, 400, "TY_ERR_WEBHOOK_URL_FORBIDDEN");
    const ok = await post("/v1/experiments/validate", { preset: "demo-cpu", webhooks: [{ url: "https://hooks.example.com/h" }] });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("the 50-per-project endpoint cap holds under concurrency (80 parallel creates → 50)", async () => {
    const key = (await createApiKey(h.db, "gamma")).key;
    const results = await Promise.all(
      Array.from({ length: 80 }, () => post("/v1/webhooks", { url: "https://93.184.216.34/h", events: ["job.failed"] }, key)),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(50);
    for (const r of results.filter((r) => r.statusCode !== 201)) expectError(r, 409, "TY_ERR_CONFLICT");
    expect(results.every((r) => r.statusCode < 500)).toBe(true);
  });
});

describe("metrics", () => {
  it("/metrics needs an operator key and exposes latency, queue depth, job and webhook outcomes", async () => {
    await submit({ preset: "demo-cpu", name: "metrics" });
    expectError(await get("/metrics"), 403, "TY_ERR_FORBIDDEN");
    const res = await get("/metrics", h.operatorKey);
    expect(res.statusCode, res.body).toBe(200);
    for (const name of [
      "trainyard_http_request_duration_seconds_bucket",
      "trainyard_queue_depth",
      "trainyard_jobs",
      "trainyard_webhook_deliveries",
    ])
      expect(res.body).toContain(name);
    expect(res.body).toMatch(/trainyard_queue_depth\{kind="dataset-build"\} \d+/);
  });
});

describe("limits", () => {
  it("rate limit: 429 TY_ERR_RATE_LIMITED with retry-after", async () => {
    const r = await startApiHarness({ config: { RATE_LIMIT_PER_MINUTE: 3 } });
    try {
      const codes: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await r.app.inject({ method: "GET", url: "/v1/presets", headers: auth(r.key) });
        codes.push(last.statusCode);
      }
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expectError(last!, 429, "TY_ERR_RATE_LIMITED");
      expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
      // Health checks are never limited.
      expect((await r.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await r.close();
    }
  });

  it("per-project quotas: a second unfinished experiment past QUOTA_ACTIVE_EXPERIMENTS=1 is 429 naming the quota", async () => {
    const r = await startApiHarness({ config: { QUOTA_ACTIVE_EXPERIMENTS: 1, QUOTA_DATASET_ROWS: 100_000 } });
    try {
      const first = await r.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(r.key), payload: { preset: "demo-cpu" } });
      expect(first.statusCode, first.body).toBe(201);
      const second = await r.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(r.key), payload: { preset: "demo-cpu" } });
      expect(expectError(second, 429, "TY_ERR_QUOTA_EXCEEDED").issues?.[0]?.path).toEqual(["QUOTA_ACTIVE_EXPERIMENTS"]);
      const rows = await r.app.inject({
        method: "POST",
        url: "/v1/experiments/validate",
        headers: auth(r.key),
        payload: { preset: "demo-cpu", datasets: { train: { size: 100_000 } } },
      });
      expect(rows.statusCode).toBe(200); // validate checks the spec, not the project's quotas
    } finally {
      await r.close();
    }
  });
});

describe("dependencies", () => {
  let blackhole: Server;
  let holePort: number;
  beforeAll(async () => {
    // Accepts TCP connections and never answers: a hung database.
    blackhole = createServer(() => undefined);
    await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", r));
    holePort = (blackhole.address() as AddressInfo).port;
  });
  afterAll(async () => {
    blackhole.close();
  });

  const appWith = async (databaseUrl: string, redisUrl: string) => {
    const db = createPrisma(databaseUrl, { connectTimeoutMs: 500, statementTimeoutMs: 500 });
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 500, lazyConnect: true });
    redis.on("error", () => undefined);
    const app = await buildApp({
      db,
      redis,
      config: { REDIS_PREFIX: h.prefix, API_BODY_LIMIT_BYTES: 1 << 20, LOG_LEVEL: "silent" },
      logger: pino({ level: "silent" }),
    });
    return {
      app,
      async close() {
        await app.close().catch(() => undefined);
        await db.$disconnect().catch(() => undefined);
        redis.disconnect();
      },
    };
  };

  it("a refused Postgres connection is 503 TY_ERR_DEPENDENCY_UNAVAILABLE quickly, not 500", async () => {
    const a = await appWith("postgresql://postgres@127.0.0.1:1/x", "redis://127.0.0.1:1");
    try {
      const t = Date.now();
      const res = await a.app.inject({ method: "GET", url: "/v1/experiments", headers: auth(h.key) });
      expectError(res, 503, "TY_ERR_DEPENDENCY_UNAVAILABLE");
      expect(Date.now() - t).toBeLessThan(3000);
      expect(res.body).not.toMatch(/127\.0\.0\.1|:1\b|Prisma/);
    } finally {
      await a.close();
    }
  });

  it("a database that accepts connections but never answers is 503 within the connect timeout, not a hang", async () => {
    const a = await appWith(`postgresql://postgres@127.0.0.1:${holePort}/x`, "redis://127.0.0.1:1");
    try {
      const t = Date.now();
      const res = await a.app.inject({ method: "GET", url: "/v1/experiments", headers: auth(h.key) });
      expectError(res, 503, "TY_ERR_DEPENDENCY_UNAVAILABLE");
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      await a.close();
    }
  });

  it("/readyz names the dependency that is down, with no host, port or driver message", async () => {
    const a = await appWith("postgresql://postgres@127.0.0.1:1/x", `redis://127.0.0.1:${holePort}`);
    try {
      const res = await a.app.inject({ method: "GET", url: "/readyz" });
      const body = expectError(res, 503, "TY_ERR_DEPENDENCY_UNAVAILABLE") as unknown as {
        checks: Record<string, unknown>;
        message: string;
      };
      expect(res.json().checks).toEqual({ postgres: { ok: false, error: "unavailable" }, redis: { ok: false, error: "unavailable" } });
      expect(body.message).toBe("unavailable: postgres, redis");
      expect(res.body).not.toMatch(/127\.0\.0\.1|5432|Prisma|ECONNREFUSED/);
    } finally {
      await a.close();
    }
  });

  it("with Redis down, /admin/queues/api/* answers 503 instead of hanging", async () => {
    const db = createPrisma(h.tdb.url);
    const redis = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 1, commandTimeout: 500, lazyConnect: true });
    redis.on("error", () => undefined);
    const app = await buildApp({
      db,
      redis,
      config: { REDIS_PREFIX: h.prefix, API_BODY_LIMIT_BYTES: 1 << 20, LOG_LEVEL: "silent" },
      logger: pino({ level: "silent" }),
    });
    try {
      const t = Date.now();
      const res = await app.inject({ method: "GET", url: "/admin/queues/api/queues", headers: auth(h.operatorKey) });
      expectError(res, 503, "TY_ERR_DEPENDENCY_UNAVAILABLE");
      expect(Date.now() - t).toBeLessThan(3000);
    } finally {
      await app.close().catch(() => undefined);
      await db.$disconnect();
      redis.disconnect();
    }
  });
});
