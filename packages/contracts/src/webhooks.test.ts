import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_S,
  WEBHOOK_SUMMARY_MAX_BYTES,
  WebhookPayload,
  boundSummary,
  checkWebhookTarget,
  forbiddenAddressReason,
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
  type LookupAll,
} from "./webhooks.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

describe("Standard Webhooks signatures", () => {
  it("matches the Standard Webhooks reference vector", () => {
    // From the standard-webhooks reference libraries' test suite.
    const sig = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("gives byte-identical headers to the hand-written HMAC signer it replaced", () => {
    // The signer before standardwebhooks, kept here as the wire-format reference receivers verify against.
    const handWritten = (secret: string, id: string, ts: number, body: string | Uint8Array) =>
      `v1,${createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
        .update(`${id}.${ts}.`)
        .update(body)
        .digest("base64")}`;
    const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"];
    const body = JSON.stringify({ type: "job.failed", timestamp: "2026-01-01T00:00:00.000Z", data: { note: "héllo ✓ \u2028 🚀" } });
    const headers = webhookHeaders(secrets, "msg_2f0c", 1767225600, body);
    expect(headers).toEqual({
      "webhook-id": "msg_2f0c",
      "webhook-timestamp": "1767225600",
      "webhook-signature": secrets.map((s) => handWritten(s, "msg_2f0c", 1767225600, body)).join(" "),
    });
    expect(JSON.stringify(headers)).toBe(
      JSON.stringify({
        "webhook-id": "msg_2f0c",
        "webhook-timestamp": "1767225600",
        "webhook-signature": secrets.map((s) => handWritten(s, "msg_2f0c", 1767225600, body)).join(" "),
      }),
    );
    const bytes = Buffer.from(body);
    expect(signWebhook(secrets[0]!, "msg_2f0c", 1767225600, bytes)).toBe(handWritten(secrets[0]!, "msg_2f0c", 1767225600, bytes));
    for (let i = 0; i < 20; i++) {
      const s = generateWebhookSecret();
      expect(signWebhook(s, `msg_${i}`, 1_700_000_000 + i, body)).toBe(handWritten(s, `msg_${i}`, 1_700_000_000 + i, body));
    }
  });

  it("verifies with any of several signatures, and refuses tampering, stale timestamps and missing headers", () => {
    const [oldS, newS] = [generateWebhookSecret(), generateWebhookSecret()];
    expect(newS).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const now = new Date("2026-01-01T00:00:00Z");
    const ts = now.getTime() / 1000;
    const body = JSON.stringify({ type: "webhook.test", n: 1 });
    const headers = webhookHeaders([newS, oldS], "msg_1", ts, body);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyWebhook(oldS, headers, body, { now })).toEqual({ type: "webhook.test", n: 1 });
    expect(verifyWebhook(newS, new Headers(headers), Buffer.from(body), { now })).toEqual({ type: "webhook.test", n: 1 });
    expect(codeOf(() => verifyWebhook(generateWebhookSecret(), headers, body, { now }))).toBe("TY_ERR_WEBHOOK_SIGNATURE_INVALID");
    expect(codeOf(() => verifyWebhook(newS, headers, body.replace("1", "2"), { now }))).toBe("TY_ERR_WEBHOOK_SIGNATURE_INVALID");
    const late = new Date(now.getTime() + 301_000);
    expect(codeOf(() => verifyWebhook(newS, headers, body, { now: late }))).toBe("TY_ERR_WEBHOOK_SIGNATURE_INVALID");
    expect(verifyWebhook(newS, headers, body, { now: late, toleranceSeconds: 600 })).toBeTruthy();
    const { "webhook-id": _, ...noId } = headers;
    expect(codeOf(() => verifyWebhook(newS, noId, body, { now }))).toBe("TY_ERR_WEBHOOK_SIGNATURE_INVALID");
  });
});

describe("SSRF guard", () => {
  it("classifies addresses", () => {
    const forbidden = [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a9fe:a9fe",
      "2002:c0a8:0101::1",
      "ff02::1",
      "fe80::1%eth0",
    ];
    for (const ip of forbidden) expect(forbiddenAddressReason(ip), ip).not.toBeNull();
    for (const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(forbiddenAddressReason(ip), ip).toBeNull();
    }
    expect(forbiddenAddressReason("::1")).toBe("loopback");
    expect(forbiddenAddressReason("fd00::5")).toBe("unique-local");
    expect(forbiddenAddressReason("not-an-ip")).toBe("not an IP address");
  });

  // Test double for DNS (public names cannot be resolved from CI): host → addresses.
  const fakeDnsLookup =
    (table: Record<string, string[]>): LookupAll =>
    async (host) => {
      const a = table[host];
      if (!a) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
      return a.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    };

  it("checks every address a host resolves to, and IP literals without DNS", async () => {
    const lookup = fakeDnsLookup({ "hooks.example.com": ["93.184.216.34"], "rebind.example.com": ["93.184.216.34", "10.0.0.7"] });
    const check = async (url: string, allowPrivate = false) => {
      try {
        await checkWebhookTarget(url, { allowPrivate, lookup });
        return "ok";
      } catch (e) {
        const err = e as { code: string; issues?: { path: unknown[] }[] };
        expect(err.issues?.[0]?.path).toEqual(["url"]);
        return err.code;
      }
    };
    expect(await check("https://hooks.example.com/x")).toBe("ok");
    expect(await check("https://rebind.example.com/x")).toBe("TY_ERR_WEBHOOK_URL_FORBIDDEN");
    expect(await check("http://127.0.0.1:8080/")).toBe("TY_ERR_WEBHOOK_URL_FORBIDDEN");
    expect(await check("http://[::1]:8080/")).toBe("TY_ERR_WEBHOOK_URL_FORBIDDEN");
    expect(await check("http://2130706433/")).toBe("TY_ERR_WEBHOOK_URL_FORBIDDEN"); // WHATWG URL → 127.0.0.1
    expect(await check("https://nowhere.example.com/")).toBe("TY_ERR_WEBHOOK_URL_UNRESOLVABLE");
    expect(await check("http://127.0.0.1:8080/", true)).toBe("ok");
  });
});

describe("payloads and retries", () => {
  it("bounds a summary to ~16 KB by halving its lists", () => {
    const results = Array.from({ length: 2000 }, (_, i) => ({ split: `s${i}`, n: 100, success: 0.5, validity: 1, meanReward: 0.5 }));
    const s = boundSummary({ name: "x", results });
    expect(Buffer.byteLength(JSON.stringify(s))).toBeLessThanOrEqual(WEBHOOK_SUMMARY_MAX_BYTES);
    expect(s.truncated).toBe(true);
    expect((s.results as unknown[]).length).toBeGreaterThan(50);
    expect(s.name).toBe("x");
    expect(boundSummary({ name: "small" })).toEqual({ name: "small" });
    const parsed = WebhookPayload.parse({
      type: "experiment.completed",
      timestamp: new Date().toISOString(),
      data: {
        projectId: "p",
        experimentId: "e",
        jobId: null,
        state: "succeeded",
        summary: { name: "x", task: "sokoban", preset: null, progress: 1, durationSeconds: 3, jobs: { succeeded: 4 }, ...s },
        links: { experiment: "/v1/experiments/e" },
      },
    });
    expect(parsed.type).toBe("experiment.completed");
  });

  it("retries over about 24 h in 11 attempts (the delays themselves: apps/worker/src/webhooks/backoff.test.ts)", () => {
    const total = WEBHOOK_RETRY_DELAYS_S.reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(25);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(11);
  });
});
