/**
 * Webhook endpoint API against a real database: CRUD, project scoping, validation codes, the SSRF
 * guard at creation, rotation, test events, the delivery log and redelivery. Nothing is sent here
 * (no deliverer runs); apps/worker/src/webhooks/deliverer.test.ts covers sending.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody } from "@trainyard/contracts";
import { createApiKey, emitWebhookEvent } from "@trainyard/db";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
let otherKey: string;
beforeAll(async () => {
  // Private targets refused (the default); real DNS for host names.
  h = await startApiHarness({ webhookAllowPrivate: false });
  otherKey = (await createApiKey(h.db, "beta")).key;
});
afterAll(async () => {
  await h?.close();
});

// A public address literal: accepted without DNS, never contacted (no deliverer runs here).
const PUBLIC_URL = "https://93.184.216.34/hooks";

const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: unknown, key = h.key) =>
  h.app.inject({ method, url, headers: auth(key), ...(payload !== undefined ? { payload: payload as object } : {}) });

function expectError(res: { statusCode: number; json(): unknown }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = ApiErrorBody.parse(res.json());
  expect(body.code).toBe(code);
  return body;
}

async function create(body: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/webhooks", { url: PUBLIC_URL, events: ["experiment.completed", "job.failed"], ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; events: string[]; enabled: boolean };
}

describe("webhook endpoints", () => {
  it("creates (secret shown once), reads, lists, updates and deletes, scoped to the project", async () => {
    const e = await create({ description: "ops channel", events: ["job.failed", "job.failed", "experiment.completed"] });
    expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(e).toMatchObject({ events: ["job.failed", "experiment.completed"], enabled: true });
    const got = (await call("GET", `/v1/webhooks/${e.id}`)).json();
    expect(got).toMatchObject({ id: e.id, url: PUBLIC_URL, description: "ops channel", previousSecretExpiresAt: null });
    expect(got).not.toHaveProperty("secret");
    expect((await call("GET", "/v1/webhooks")).json().items.map((x: { id: string }) => x.id)).toContain(e.id);

    const patched = await call("PATCH", `/v1/webhooks/${e.id}`, { enabled: false, events: ["job.cancelled"] });
    expect(patched.json()).toMatchObject({ enabled: false, events: ["job.cancelled"] });

    for (const [method, url] of [
      ["GET", `/v1/webhooks/${e.id}`],
      ["PATCH", `/v1/webhooks/${e.id}`],
      ["DELETE", `/v1/webhooks/${e.id}`],
      ["POST", `/v1/webhooks/${e.id}/rotate-secret`],
      ["POST", `/v1/webhooks/${e.id}/test`],
      ["GET", `/v1/webhooks/${e.id}/deliveries`],
      ["GET", "/v1/webhooks/not-a-uuid"],
    ] as const) {
      expectError(await call(method, url, method === "PATCH" ? { enabled: true } : undefined, otherKey), 404, "TY_ERR_NOT_FOUND");
    }
    expect((await call("GET", "/v1/webhooks", undefined, otherKey)).json().items).toEqual([]);

    expect((await call("DELETE", `/v1/webhooks/${e.id}`)).statusCode).toBe(204);
    expectError(await call("GET", `/v1/webhooks/${e.id}`), 404, "TY_ERR_NOT_FOUND");
  });

  it("answers validation errors with TY_ERR_VALIDATION and the field paths", async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ url: "ftp://example.com/x", events: ["job.failed"] }, ["url"]],
      [{ url: "not a url", events: ["job.failed"] }, ["url"]],
      [{ url: PUBLIC_URL, events: ["job.exploded"] }, ["events", 0]],
      [{ url: PUBLIC_URL, events: [] }, ["events"]],
      [{ url: PUBLIC_URL }, ["events"]],
      [{ url: PUBLIC_URL, events: ["job.failed"], secret: "mine" }, []],
    ];
    for (const [payload, path] of cases) {
      const body = expectError(await call("POST", "/v1/webhooks", payload), 400, "TY_ERR_VALIDATION");
      expect(
        body.issues?.map((i) => i.path),
        JSON.stringify(payload),
      ).toContainEqual(path);
    }
    const e = await create();
    expectError(await call("PATCH", `/v1/webhooks/${e.id}`, {}), 400, "TY_ERR_VALIDATION");
    const bad = expectError(await call("PATCH", `/v1/webhooks/${e.id}`, { enabled: "yes" }), 400, "TY_ERR_VALIDATION");
    expect(bad.issues?.[0]?.path).toEqual(["enabled"]);
  });

  it("refuses loopback, private and link-local targets when private targets are not allowed", async () => {
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://localhost:9/x",
      "http://[::1]:9/x",
      "http://10.0.0.8/x",
      "http://192.168.1.20/x",
      "http://169.254.169.254/latest/meta-data",
      "http://[fd00::1]/x",
      "http://[::ffff:127.0.0.1]/x",
    ]) {
      const body = expectError(await call("POST", "/v1/webhooks", { url, events: ["job.failed"] }), 400, "TY_ERR_WEBHOOK_URL_FORBIDDEN");
      expect(body.issues?.[0]?.path, url).toEqual(["url"]);
    }
    const e = await create();
    const res = await call("PATCH", `/v1/webhooks/${e.id}`, { url: "http://127.0.0.1:9/x" });
    expect(expectError(res, 400, "TY_ERR_WEBHOOK_URL_FORBIDDEN").issues?.[0]?.path).toEqual(["url"]);
    expect((await call("GET", `/v1/webhooks/${e.id}`)).json().url).toBe(PUBLIC_URL);
  });

  it("rotates the secret, keeping the old one for 24 h", async () => {
    const e = await create();
    const res = await call("POST", `/v1/webhooks/${e.id}/rotate-secret`);
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.secret).not.toBe(e.secret);
    const left = Date.parse(r.previousSecretExpiresAt) - Date.now();
    expect(left).toBeGreaterThan(23.9 * 3600_000);
    expect(left).toBeLessThanOrEqual(24 * 3600_000);
    const row = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: e.id } });
    expect(row.secrets).toEqual([r.secret, e.secret]);
  });
});

describe("test events, delivery log and redelivery", () => {
  it("queues test events, lists deliveries newest first with a cursor, and redelivers with the same webhook-id", async () => {
    const e = await create();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("POST", `/v1/webhooks/${e.id}/test`);
      expect(res.statusCode).toBe(202);
      const d = res.json();
      expect(d).toMatchObject({ endpointId: e.id, eventType: "webhook.test", state: "pending", attempts: 0, log: [] });
      expect(d.payload).toMatchObject({ type: "webhook.test", data: { projectId: h.projectId, state: "test" } });
      ids.push(d.id);
    }
    const p1 = (await call("GET", `/v1/webhooks/${e.id}/deliveries?limit=2`)).json();
    expect(p1.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    const p2 = (await call("GET", `/v1/webhooks/${e.id}/deliveries?limit=2&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expect(p2.nextCursor).toBeNull();
    expectError(await call("GET", `/v1/webhooks/${e.id}/deliveries?cursor=garbage`), 400, "TY_ERR_INVALID_CURSOR");

    const first = (await call("GET", `/v1/webhooks/deliveries/${ids[0]}`)).json();
    const again = await call("POST", `/v1/webhooks/deliveries/${ids[0]}/redeliver`);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ messageId: first.messageId, state: "pending", payload: first.payload });
    expect(again.json().id).not.toBe(ids[0]);
    expectError(await call("POST", `/v1/webhooks/deliveries/${ids[0]}/redeliver`, undefined, otherKey), 404, "TY_ERR_NOT_FOUND");
    expectError(await call("GET", `/v1/webhooks/deliveries/${ids[0]}`, undefined, otherKey), 404, "TY_ERR_NOT_FOUND");

    await call("PATCH", `/v1/webhooks/${e.id}`, { enabled: false });
    expectError(await call("POST", `/v1/webhooks/${e.id}/test`), 409, "TY_ERR_CONFLICT");
    expectError(await call("POST", `/v1/webhooks/deliveries/${ids[1]}/redeliver`), 409, "TY_ERR_CONFLICT");
  });

  it("emits to every enabled endpoint whose filter matches, in the caller's transaction", async () => {
    const matching = await create({ events: ["eval.completed"] });
    const other = await create({ events: ["job.failed"] });
    const disabled = await create({ events: ["eval.completed"] });
    await call("PATCH", `/v1/webhooks/${disabled.id}`, { enabled: false });
    const data = { experimentId: null, jobId: null, state: "succeeded", summary: { arm: "a", seed: 0, splits: [] } };

    await expect(
      h.db.$transaction(async (tx) => {
        await emitWebhookEvent(tx, h.projectId, "eval.completed", data);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await h.db.webhookDelivery.count({ where: { endpointId: matching.id } })).toBe(0);

    const n = await h.db.$transaction((tx) => emitWebhookEvent(tx, h.projectId, "eval.completed", data));
    const rows = await h.db.webhookDelivery.findMany({ where: { eventType: "eval.completed" } });
    expect(rows.map((r) => r.endpointId)).toEqual([matching.id]);
    expect(n).toBe(1);
    expect(await h.db.webhookDelivery.count({ where: { endpointId: { in: [other.id, disabled.id] } } })).toBe(0);
  });
});
