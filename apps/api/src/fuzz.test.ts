/**
 * Fuzz: 2,400 generated requests across every route (the OpenAPI paths plus the hidden operator
 * and health routes), every method, and hostile ids, queries, bodies, headers and cookies, with
 * every kind of key (none, malformed, revoked, another tenant's, and read-only requests with the
 * owner's and an operator's). Asserts: no 5xx, every 4xx carries a TY_ERR_* code, and no table's
 * rows changed (row counts and checksums of every table before and after).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import fc from "fast-check";
import { createApiKey, revokeApiKey } from "@trainyard/db";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

const RUNS = 2400;
let h: ApiHarness;
let betaKey: string;
let revokedKey: string;
let expId: string;
let jobId: string;

beforeAll(async () => {
  h = await startApiHarness({ config: { RATE_LIMIT_PER_MINUTE: 1_000_000, SSE_MAX_STREAMS_PER_KEY: 1000 } });
  betaKey = (await createApiKey(h.db, "beta")).key;
  const r = await createApiKey(h.db, "beta", "gone");
  await revokeApiKey(h.db, r.keyId, null);
  revokedKey = r.key;
  const res = await h.app.inject({ method: "POST", url: "/v1/experiments", headers: auth(h.key), payload: { preset: "demo-cpu" } });
  expect(res.statusCode, res.body).toBe(201);
  expId = res.json().id;
  jobId = res.json().jobs[0].id;
  const hook = await h.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: auth(h.key),
    payload: { url: "https://93.184.216.34/h", events: ["job.failed"] },
  });
  expect(hook.statusCode, hook.body).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

/** Row count and checksum of every table (api_keys without last_used_at, which reads update). */
async function snapshot(): Promise<Record<string, string>> {
  const tables = await h.db.$queryRaw<
    { tablename: string }[]
  >`SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_prisma%'`;
  const out: Record<string, string> = {};
  for (const { tablename } of tables) {
    const cols = tablename === "api_keys" ? "id, project_id, hash, operator, revoked_at" : "t.*";
    const rows = await h.db.$queryRawUnsafe<{ n: bigint; sum: string | null }[]>(
      `SELECT count(*) AS n, md5(string_agg(r::text, '|' ORDER BY r::text)) AS sum FROM (SELECT ${cols} FROM "${tablename}" t) r`,
    );
    out[tablename] = `${rows[0]!.n} ${rows[0]!.sum ?? "-"}`;
  }
  return out;
}

const ROUTES_HIDDEN = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/admin/session",
  "/admin/queues",
  "/admin/queues/api/queues",
  "/admin/queues/api/queues/{queueName}/{jobId}",
  "/admin/queues/api/queues/{queueName}/pause",
  "/admin/queues/api/queues/{queueName}/clean/{status}",
  "/admin/queues/api/queues/{queueName}/add",
  "/",
  "/experiments/{id}",
  "/assets/{id}.js",
  "/docs/static/{id}",
];

const hostileId = fc.oneof(
  fc.constantFrom(
    "not-a-uuid",
    "-".repeat(36),
    "00000000-0000-0000-0000-000000000000",
    "%00",
    "%E0%A4%A",
    "%ZZ",
    "..%2F..%2Fetc%2Fpasswd",
    "a".repeat(300),
    "%F0%9F%92%A9",
    "%ED%A0%80",
    "null",
    "-1",
    "99999999999",
    "1e308",
    "sft",
    "failed",
  ),
  fc.uuid().map((u) => u),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

const queryValue = fc.oneof(
  fc.constantFrom("99999999999", "-1", "0", "1e3", "NaN", "%00", "%ED%A0%80", "", "a".repeat(600), "[]", "true"),
  fc.integer().map(String),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc
    .tuple(
      fc.constantFrom("+275760-09-13T00:00:00.000Z", "1969-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "x"),
      fc.constantFrom("-".repeat(36), "00000000-0000-4000-8000-000000000000", "1"),
    )
    .map((t) => Buffer.from(JSON.stringify(t)).toString("base64url")),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? "").toString("base64url")),
);
const queryKey = fc.constantFrom(
  "cursor",
  "after",
  "limit",
  "state",
  "task",
  "preset",
  "q",
  "view",
  "select",
  "split",
  "file",
  "format",
  "experimentId",
  "project",
  "x",
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    "{",
    '{"a":',
    "null",
    '"\\u0000"',
    '{"name":"\\ud800"}',
    '{"preset":"demo-cpu","name":"a\\u0000"}',
    '{"preset":"nope"}',
    '{"url":"http://[64:ff9b:1::a00:1]/","events":["job.failed"]}',
    '{"url":"http://127.0.0.1:22/","events":["job.failed"]}',
    '{"__proto__":{"x":1}}',
    "[" + "1,".repeat(1000) + "1]",
  ),
);

const keyKind = fc.constantFrom("none", "malformed", "revoked", "beta", "alpha-read", "operator-read", "cookie", "badcookie");
const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
const extraHeaders = fc.record(
  {
    "last-event-id": fc.constantFrom("99999999999", "-1", "abc", "999999", " 1 ", "0"),
    origin: fc.constantFrom("https://evil.example", "null", "http://localhost"),
    "content-type": fc.constantFrom(
      "application/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=latin1",
      "multipart/form-data; boundary=x",
      "bogus",
    ),
    "idempotency-key": fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    "x-request-id": fc.string({ maxLength: 200 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    "if-none-match": fc.constantFrom('"x"', "*"),
    accept: fc.constantFrom("text/csv", "text/event-stream", "*/*", "application/xml"),
    range: fc.constantFrom("bytes=0-10", "bytes=-5", "bytes=999999999-", "garbage"),
  },
  { requiredKeys: [] },
);

it(`${RUNS} generated requests: zero 5xx, every 4xx coded, no table changed`, { timeout: 120_000 }, async () => {
  const doc = (await h.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: Record<string, unknown> };
  const templates = [...Object.keys(doc.paths), ...ROUTES_HIDDEN];
  expect(templates.length).toBeGreaterThan(30);
  const before = await snapshot();

  const request = fc.record({
    template: fc.constantFrom(...templates),
    ids: fc.array(fc.oneof(hostileId, fc.constantFrom("EXP", "JOB")), { minLength: 3, maxLength: 3 }),
    query: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 }),
    method,
    keyKind,
    headers: extraHeaders,
    body,
  });
  const samples = fc.sample(request, { numRuns: RUNS, seed: 1205 });
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let i = 0;
  const worker = async () => {
    while (i < samples.length) {
      const s = samples[i++]!;
      let n = 0;
      let path = s.template.replace(/\{[^}]+\}|:\w+|\*/g, () => {
        const v = s.ids[n++ % 3]!;
        return v === "EXP" ? expId : v === "JOB" ? jobId : v;
      });
      if (s.query.length) path += "?" + s.query.map(([k, v]) => `${k}=${v}`).join("&");
      // The owner's and operator's keys only read (the table checksums must not change), and never
      // open a live stream (it would stay open until the experiment ends).
      const readOnly = s.keyKind === "alpha-read" || s.keyKind === "operator-read" || s.keyKind === "cookie";
      let m = s.method;
      const headers: Record<string, string> = { ...s.headers };
      if (readOnly) {
        if (m !== "GET" && m !== "HEAD" && m !== "OPTIONS") m = "GET";
        if (path.includes("/stream")) headers["last-event-id"] = "999999";
      }
      if (s.keyKind === "malformed") headers.authorization = "Bearer ty_%%%";
      if (s.keyKind === "revoked") headers.authorization = `Bearer ${revokedKey}`;
      if (s.keyKind === "beta") headers.authorization = `Bearer ${betaKey}`;
      if (s.keyKind === "alpha-read") headers.authorization = `Bearer ${h.key}`;
      if (s.keyKind === "operator-read") headers.authorization = `Bearer ${h.operatorKey}`;
      if (s.keyKind === "cookie") headers.cookie = `ty_key=${encodeURIComponent(h.operatorKey)}`;
      if (s.keyKind === "badcookie") headers.cookie = "ty_key=%E0%A4%A; x=%";
      const res = await h.app.inject({
        method: m as "GET",
        url: path,
        headers,
        ...(s.body !== undefined && m !== "GET" && m !== "HEAD" ? { payload: s.body } : {}),
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const label = `${m} ${path.slice(0, 120)} [${s.keyKind}] → ${res.statusCode} ${res.body.slice(0, 160)}`;
      if (res.statusCode >= 500) failures.push(label);
      else if (res.statusCode >= 400 && m !== "HEAD") {
        let code: unknown;
        try {
          code = (res.json() as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        if (typeof code !== "string" || !/^TY_ERR_[A-Z0-9_]+$/.test(code)) failures.push(label);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  // The generator must reach past auth and validation, not only bounce off the first check.
  const ok = [...statuses].filter(([c]) => c < 300).reduce((n, [, k]) => n + k, 0);
  console.log(`fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  expect(ok).toBeGreaterThan(100);
  expect(statuses.size).toBeGreaterThan(6);
  expect(failures.slice(0, 15), `${failures.length} bad answers`).toEqual([]);
  expect(await snapshot()).toEqual(before);
});
