/**
 * Webhook delivery end to end: real receivers (HTTP servers on 127.0.0.1 started here, so these
 * tests allow private targets, except the guard test), real Postgres and Redis, the real worker
 * for an experiment's events. Retry timing is shrunk with `backoffScale`, not faked.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_RETRY_DELAYS_S, verifyWebhook, type WebhookPayload } from "@trainyard/contracts";
import type { WebhookAttemptLog } from "@trainyard/db";
import type { JobHandler, RunningWorker } from "../index.js";
import { auth, startApiHarness, type ApiHarness } from "../../../../tests/helpers/api.js";
import { startTestWorker, waitFor } from "../../../../tests/helpers/worker.js";
import { startDeliverer, type Deliverer, type DelivererOptions } from "./deliverer.js";
import { createWebhookFetch, type WebhookFetch } from "./http.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver on 127.0.0.1; `answer` picks each response's status (and headers). */
async function startReceiver(answer: (n: number) => number | [number, Record<string, string>] = () => 200, port = 0) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const a = answer(got.length);
      const [status, headers] = Array.isArray(a) ? a : [a, {}];
      res.writeHead(status, headers).end(status >= 300 ? "receiver says no" : "ok");
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let h: ApiHarness;
let worker: RunningWorker | null = null;
let deliverer: Deliverer | null = null;
const receivers: { close(): Promise<void> }[] = [];
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

beforeAll(async () => {
  h = await startApiHarness({ webhookAllowPrivate: true });
});
afterEach(async () => {
  await worker?.close();
  await deliverer?.close();
  worker = null;
  deliverer = null;
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await h?.close();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function endpoint(url: string, events = ["experiment.completed", "job.failed", "job.cancelled", "eval.completed"]) {
  const res = await h.app.inject({ method: "POST", url: "/v1/webhooks", headers: auth(h.key), payload: { url, events } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string };
}

const post = (url: string) => h.app.inject({ method: "POST", url, headers: auth(h.key) });

/** A deliverer of its own (no BullMQ needed), counting its HTTP calls. */
function deliver(opts: Partial<DelivererOptions> = {}) {
  const calls = { n: 0 };
  const counting: WebhookFetch = (url, init) => {
    calls.n++;
    return (opts.fetch ?? fetch)(url, init);
  };
  deliverer = startDeliverer({
    db: h.db,
    logger,
    prefix: h.prefix,
    allowPrivate: true,
    pollMs: 20,
    backoffScale: 0.001,
    ...opts,
    fetch: counting,
  });
  return calls;
}

async function delivery(id: string) {
  return h.db.webhookDelivery.findUniqueOrThrow({ where: { id } });
}
const logOf = (d: { log: unknown }) => d.log as WebhookAttemptLog[];

describe("delivery from an experiment run by the real worker", () => {
  it("signs and delivers job.failed, job.cancelled and experiment.completed to every matching endpoint", async () => {
    const all = await receiver();
    const onlyDone = await receiver();
    const a = await endpoint(all.url);
    const b = await endpoint(onlyDone.url, ["experiment.completed"]);
    const ok: JobHandler = async (ctx) => ({ ran: ctx.job.name });
    const failing: JobHandler = async (ctx) => {
      if (ctx.job.arm === "bad") throw Object.assign(new Error("dataset has no rows"), { code: "TY_ERR_VALIDATION" });
      return ok(ctx);
    };
    worker = await startTestWorker(h.db, h.prefix, {
      handlers: { "dataset-build": ok, sft: failing, grpo: ok, eval: ok },
      webhooks: { allowPrivate: true, pollMs: 50, backoffScale: 0.001 },
    });
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/experiments",
      headers: auth(h.key),
      payload: { preset: "demo-cpu", arms: [{ name: "bad", method: "sft", data: "frozen", target: "answer" }] },
    });
    expect(res.statusCode).toBe(201);
    const exp = res.json() as { id: string; jobs: { id: string; name: string }[] };

    const payloads = (r: Received[]) => r.map((x) => x.body && (JSON.parse(x.body) as WebhookPayload));
    await waitFor(async () => payloads(all.got).some((p) => p && p.type === "experiment.completed"));
    await waitFor(async () => onlyDone.got.length === 1);
    for (const g of all.got) expect(verifyWebhook(a.secret, g.headers as Record<string, string>, g.body)).toBeTruthy();
    expect(verifyWebhook(b.secret, onlyDone.got[0]!.headers as Record<string, string>, onlyDone.got[0]!.body)).toMatchObject({
      type: "experiment.completed",
    });

    const byType = (t: string) => payloads(all.got).filter((p) => p && p.type === t) as WebhookPayload[];
    const jobId = (n: string) => exp.jobs.find((j) => j.name === n)!.id;
    const failed = byType("job.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({
      projectId: h.projectId,
      experimentId: exp.id,
      jobId: jobId("sft:bad:s0"),
      state: "failed",
      summary: { name: "sft:bad:s0", kind: "sft", failureKind: "user_error", error: { code: "TY_ERR_VALIDATION" } },
      links: { experiment: `/v1/experiments/${exp.id}`, job: `/v1/jobs/${jobId("sft:bad:s0")}` },
    });
    expect(byType("job.cancelled").map((p) => p.data.jobId)).toContain(jobId("eval:bad:s0"));
    const done = byType("experiment.completed");
    expect(done).toHaveLength(1);
    expect(done[0]!.data).toMatchObject({ state: "failed", jobId: null, summary: { name: expect.any(String), jobs: { failed: 1 } } });
    // One message id per event, shared by both endpoints.
    const ids = all.got.map((g) => g.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(onlyDone.got[0]!.headers["webhook-id"]);

    // The receiver answers before the deliverer records the outcome: wait for the rows to settle.
    const rows = await waitFor(async () => {
      const r = await h.db.webhookDelivery.findMany({ where: { endpointId: a.id } });
      return r.length === all.got.length && r.every((x) => x.state !== "pending") ? r : null;
    });
    expect(rows.every((r) => r.state === "delivered" && r.attempts === 1 && logOf(r)[0]?.status === 200)).toBe(true);
  });
});

describe("retries, rotation, redelivery", () => {
  it("retries a receiver that is down with backoff, delivers when it is back, and logs every attempt", async () => {
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close(); // nothing listens there now: connection refused
    const e = await endpoint(`http://127.0.0.1:${port}/hook`);
    const calls = deliver();
    const id = (await post(`/v1/webhooks/${e.id}/test`)).json().id as string;
    await waitFor(async () => (await delivery(id)).attempts >= 2 && logOf(await delivery(id)).length >= 2);
    const back = await receiver((n) => (n <= 2 ? 500 : 200), port);
    const d = await waitFor(async () => {
      const row = await delivery(id);
      return row.state === "delivered" ? row : null;
    });
    const log = logOf(d);
    expect(log.length).toBe(d.attempts);
    expect(log.map((l) => l.attempt)).toEqual(log.map((_, i) => i + 1));
    const refused = log.filter((l) => l.status === null);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((l) => /ECONNREFUSED/.test(l.error ?? ""))).toBe(true);
    expect(log.slice(-3).map((l) => l.status)).toEqual([500, 500, 200]);
    expect(log.slice(-3, -1).every((l) => l.error?.startsWith("HTTP 500"))).toBe(true);
    // The receiver's answer is kept on each attempt it answered, refused connections have none.
    expect(log.slice(-3).map((l) => l.response)).toEqual(["receiver says no", "receiver says no", "ok"]);
    expect(refused.every((l) => l.response === null)).toBe(true);
    expect(d).toMatchObject({ lastStatus: 200, lastError: null });
    expect(d.deliveredAt).not.toBeNull();
    expect(calls.n).toBe(d.attempts);
    expect(back.got).toHaveLength(3);
    expect(new Set(back.got.map((g) => g.headers["webhook-id"])).size).toBe(1); // stable across retries
    // Backoff grows: each gap is at least the (scaled, jittered) schedule step.
    const at = log.map((l) => Date.parse(l.at));
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(WEBHOOK_RETRY_DELAYS_S[i - 1]! * 0.8 - 1);

    const list = (await h.app.inject({ method: "GET", url: `/v1/webhooks/${e.id}/deliveries`, headers: auth(h.key) })).json();
    expect(list.items[0]).toMatchObject({ id, state: "delivered", attempts: d.attempts, lastStatus: 200 });
    expect(list.items[0].log).toHaveLength(d.attempts);
  });

  it("honours retry-after on 429 and gives up after the last attempt", async () => {
    const r = await receiver((n) => (n === 1 ? [429, { "retry-after": "1" }] : 200));
    const e = await endpoint(r.url);
    deliver();
    const id = (await post(`/v1/webhooks/${e.id}/test`)).json().id as string;
    const d = await waitFor(async () => ((await delivery(id)).state === "delivered" ? delivery(id) : null));
    const [first, second] = logOf(d);
    expect(first?.status).toBe(429);
    expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(1000); // not the 5 ms the scale gives

    await deliverer!.close();
    const down = await receiver(() => 500);
    const e2 = await endpoint(down.url);
    deliver({ backoffScale: 0.00001 });
    const id2 = (await post(`/v1/webhooks/${e2.id}/test`)).json().id as string;
    const failed = await waitFor(async () => ((await delivery(id2)).state === "failed" ? delivery(id2) : null));
    expect(failed.attempts).toBe(11);
    expect(logOf(failed)).toHaveLength(11);
    expect(down.got).toHaveLength(11);
  });

  it("signs with both secrets during a rotation, and redelivers with the same webhook-id", async () => {
    const r = await receiver();
    const e = await endpoint(r.url);
    const rotated = (await post(`/v1/webhooks/${e.id}/rotate-secret`)).json() as { secret: string };
    deliver();
    const id = (await post(`/v1/webhooks/${e.id}/test`)).json().id as string;
    await waitFor(async () => r.got.length === 1);
    const first = r.got[0]!;
    expect(String(first.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    const headers = first.headers as Record<string, string>;
    expect(verifyWebhook(e.secret, headers, first.body)).toMatchObject({ type: "webhook.test" });
    expect(verifyWebhook(rotated.secret, headers, first.body)).toMatchObject({ type: "webhook.test" });

    const again = await post(`/v1/webhooks/deliveries/${id}/redeliver`);
    expect(again.statusCode).toBe(202);
    await waitFor(async () => r.got.length === 2);
    expect(r.got[1]!.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(r.got[1]!.body).toBe(first.body);

    // After the overlap only the new secret signs.
    await h.db.webhookEndpoint.update({ where: { id: e.id }, data: { previousSecretsExpireAt: new Date(Date.now() - 1000) } });
    await post(`/v1/webhooks/${e.id}/test`);
    await waitFor(async () => r.got.length === 3);
    expect(String(r.got[2]!.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyWebhook(rotated.secret, r.got[2]!.headers as Record<string, string>, r.got[2]!.body)).toBeTruthy();
  });
});

describe("SSRF guard at delivery time", () => {
  it("refuses a loopback target when private targets are not allowed, without sending anything", async () => {
    const r = await receiver();
    // Stored directly: the API would refuse this URL; DNS may change after creation (rebinding).
    const ep = await h.db.webhookEndpoint.create({
      data: { projectId: h.projectId, url: r.url.replace("127.0.0.1", "localhost"), events: ["job.failed"], secrets: ["whsec_dGVzdA=="] },
    });
    const calls = deliver({ allowPrivate: false });
    const id = (await post(`/v1/webhooks/${ep.id}/test`)).json().id as string;
    const d = await waitFor(async () => ((await delivery(id)).attempts >= 1 && logOf(await delivery(id)).length ? delivery(id) : null));
    expect(logOf(d)[0]).toMatchObject({ status: null, error: expect.stringMatching(/^TY_ERR_WEBHOOK_URL_FORBIDDEN/) });
    expect(d.state).toBe("pending");
    expect(calls.n).toBe(0);
    expect(r.got).toHaveLength(0);

    // The default client pins the check into its own DNS lookup: no window between check and connect.
    const guarded = createWebhookFetch({ allowPrivate: false });
    const init = { method: "POST" as const, headers: {}, body: "{}", signal: AbortSignal.timeout(2000) };
    await expect(guarded(r.url.replace("127.0.0.1", "localhost"), init)).rejects.toMatchObject({ code: "TY_ERR_WEBHOOK_URL_FORBIDDEN" });
    await expect(guarded(r.url, init)).rejects.toMatchObject({ code: "TY_ERR_WEBHOOK_URL_FORBIDDEN" });
    expect(r.got).toHaveLength(0);
    expect((await createWebhookFetch({ allowPrivate: true })(r.url, init)).status).toBe(200);
  });
});
