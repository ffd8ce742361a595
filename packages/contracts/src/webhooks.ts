/**
 * Webhook protocol: Standard Webhooks (https://www.standardwebhooks.com), as OpenAI and Svix use it.
 *
 * Input:   an event (type + data) emitted in the same transaction as the state change it reports.
 * Output:  POST <endpoint url>, body `WebhookPayload` as JSON, headers
 *            webhook-id         `msg_…`, the same for every (re)delivery of one message (de-dup key)
 *            webhook-timestamp  unix seconds of this attempt
 *            webhook-signature  `v1,<base64 HMAC-SHA256(key, "${id}.${timestamp}.${body}")>`, one
 *                               per valid secret, space-separated (two during a rotation's overlap)
 *          key = the base64-decoded part of the endpoint secret after `whsec_`.
 * Signing is the `standardwebhooks` package's; verifyWebhook keeps its own timestamp check because
 * the package's reads the system clock, which tests and receivers need to set.
 * 2xx = delivered; anything else is retried on WEBHOOK_RETRY_DELAYS_S (about 24 h), then `failed`.
 * Codes:   TY_ERR_WEBHOOK_URL_FORBIDDEN, TY_ERR_WEBHOOK_URL_UNRESOLVABLE (target refused, SSRF guard),
 *          TY_ERR_WEBHOOK_SIGNATURE_INVALID (verifyWebhook, on the receiver's side).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import ipaddr from "ipaddr.js";
import { Webhook } from "standardwebhooks";
import { TyError } from "./errors.js";
import { WebhookEventType } from "./experiment.js";

/** Every `type` a delivery can carry: the subscribable events plus the "send test event" one. */
export const WebhookMessageType = z.enum([...WebhookEventType.options, "webhook.test"]);
export type WebhookMessageType = z.infer<typeof WebhookMessageType>;

/** Largest JSON size of `data.summary`, in bytes; longer lists are cut (see boundSummary). */
export const WEBHOOK_SUMMARY_MAX_BYTES = 16 * 1024;

export const WebhookUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const CreateWebhookEndpoint = z.strictObject({
  url: WebhookUrl,
  events: z.array(WebhookEventType).min(1).max(WebhookEventType.options.length),
  description: z.string().max(500).optional(),
});
export type CreateWebhookEndpoint = z.infer<typeof CreateWebhookEndpoint>;

export const UpdateWebhookEndpoint = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: z.array(WebhookEventType).min(1).max(WebhookEventType.options.length).optional(),
    enabled: z.boolean().optional(),
    description: z.string().max(500).nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one of url, events, enabled, description" });
export type UpdateWebhookEndpoint = z.infer<typeof UpdateWebhookEndpoint>;

/** One split's aggregate, as stored in EvalResult. */
export const WebhookSplitMetrics = z.looseObject({
  split: z.string(),
  n: z.number().int(),
  success: z.number(),
  validity: z.number(),
  meanReward: z.number(),
  arm: z.string().optional(),
  seed: z.number().int().optional(),
  step: z.number().int().nullable().optional(),
});
export type WebhookSplitMetrics = z.infer<typeof WebhookSplitMetrics>;

export const WebhookJobSummary = z.looseObject({
  name: z.string(),
  kind: z.string(),
  arm: z.string().nullable(),
  seed: z.number().int().nullable(),
  attempts: z.number().int(),
  failureKind: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export const WebhookExperimentSummary = z.looseObject({
  name: z.string(),
  task: z.string(),
  preset: z.string().nullable(),
  progress: z.number(),
  durationSeconds: z.number().nullable(),
  /** Job count per state. */
  jobs: z.record(z.string(), z.number().int()),
  /** Every stored split result (bounded). */
  results: z.array(WebhookSplitMetrics),
});
export const WebhookEvalSummary = z.looseObject({
  arm: z.string(),
  seed: z.number().int(),
  step: z.number().int().nullable().optional(),
  splits: z.array(WebhookSplitMetrics),
});
export const WebhookTestSummary = z.looseObject({ message: z.string(), endpointId: z.string() });

/** API paths (relative to the Trainyard base URL the receiver knows). */
export const WebhookLinks = z.record(z.string(), z.string());

/** What a summary becomes when even its scalars were cut (see boundSummary). */
const Truncated = z.looseObject({ truncated: z.literal(true) });

function payload<T extends WebhookMessageType, S extends z.ZodType>(type: T, summary: S) {
  return z.object({
    type: z.literal(type),
    timestamp: z.iso.datetime(),
    data: z.object({
      projectId: z.string(),
      experimentId: z.string().nullable(),
      jobId: z.string().nullable(),
      evalId: z.string().optional(),
      /** The state the event reports (job, experiment or eval), e.g. `failed`, `succeeded`. */
      state: z.string(),
      summary: z.union([summary, Truncated]),
      links: WebhookLinks,
    }),
  });
}

export const WebhookPayload = z.discriminatedUnion("type", [
  payload("eval.completed", WebhookEvalSummary),
  payload("experiment.completed", WebhookExperimentSummary),
  payload("job.failed", WebhookJobSummary),
  payload("job.cancelled", WebhookJobSummary),
  payload("webhook.test", WebhookTestSummary),
]);
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** What an emitter passes (emitWebhookEvent adds projectId, bounds the summary, defaults the links). */
export interface WebhookEventData {
  experimentId: string | null;
  jobId: string | null;
  evalId?: string;
  state: string;
  /** The type's summary (e.g. WebhookEvalSummary for `eval.completed`); cut to ~16 KB. */
  summary: Record<string, unknown>;
  /** Default: API paths of the experiment, its events and the job. */
  links?: Record<string, string>;
}

const byteLength = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/**
 * Keep a summary under `maxBytes` of JSON: halve its longest lists until it fits (the scalars carry
 * the state and stay), and mark it `truncated`. The ids and links let a receiver fetch the rest.
 */
export function boundSummary(summary: Record<string, unknown>, maxBytes = WEBHOOK_SUMMARY_MAX_BYTES): Record<string, unknown> {
  if (byteLength(summary) <= maxBytes) return summary;
  const out: Record<string, unknown> = { ...summary, truncated: true };
  while (byteLength(out) > maxBytes) {
    const lists = Object.entries(out).filter((e): e is [string, unknown[]] => Array.isArray(e[1]) && e[1].length > 0);
    const longest = lists.sort((a, b) => byteLength(b[1]) - byteLength(a[1]))[0];
    if (!longest) {
      const scalars = Object.entries(out).filter(([, v]) => v === null || typeof v !== "object");
      return Object.fromEntries(scalars.map(([k, v]) => [k, typeof v === "string" ? v.slice(0, 1000) : v]));
    }
    out[longest[0]] = longest[1].slice(0, Math.floor(longest[1].length / 2));
  }
  return out;
}

// --- Signatures ----------------------------------------------------------------------------------

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

export function newWebhookMessageId(): string {
  return `msg_${randomBytes(16).toString("hex")}`;
}

/** `v1,<base64 signature>` of one message attempt (the standardwebhooks reference signer). */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

/** The three Standard Webhooks headers, signed with every given secret (newest first). */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(" "),
  };
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;
function header(h: HeaderBag, name: string): string | undefined {
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const entry = Object.entries(h).find(([k]) => k.toLowerCase() === name);
  const v = entry?.[1];
  return Array.isArray(v) ? v[0] : (v as string | undefined);
}

/**
 * Verify a received webhook (receivers and tests): headers present, timestamp within
 * `toleranceSeconds` of now (replay guard), and one `v1,` signature matching `secret`.
 * Returns the parsed body; throws TyError TY_ERR_WEBHOOK_SIGNATURE_INVALID otherwise.
 * Pass the raw body bytes as received: re-serialised JSON does not verify.
 */
export function verifyWebhook(
  secret: string,
  headers: HeaderBag,
  body: string | Uint8Array,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): unknown {
  const fail = (why: string): never => {
    throw new TyError("TY_ERR_WEBHOOK_SIGNATURE_INVALID", `webhook verification failed: ${why}`);
  };
  const id = header(headers, "webhook-id");
  const ts = header(headers, "webhook-timestamp");
  const sig = header(headers, "webhook-signature");
  if (!id || !ts || !sig) return fail("missing webhook-id, webhook-timestamp or webhook-signature");
  const seconds = Number(ts);
  if (!/^\d{1,12}$/.test(ts)) return fail("malformed webhook-timestamp");
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - seconds) > (opts.toleranceSeconds ?? 300)) return fail("timestamp outside the tolerance");
  const expected = Buffer.from(signWebhook(secret, id, seconds, body).slice(3), "base64");
  const match = sig.split(" ").some((s) => {
    const [version, b64] = s.split(",", 2);
    if (version !== "v1" || !b64) return false;
    const got = Buffer.from(b64, "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!match) return fail("no signature matches the secret");
  return JSON.parse(typeof body === "string" ? body : Buffer.from(body).toString("utf8"));
}

// --- Retry schedule ------------------------------------------------------------------------------

/** Delay after failed attempt 1, 2, …, in seconds: about 23.7 h in all, then the delivery fails. */
export const WEBHOOK_RETRY_DELAYS_S = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800] as const;
/** Attempts of one delivery: the first plus one per delay. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_S.length + 1;

/** Redis pub/sub channel that wakes webhook deliverers after a commit (they poll anyway). */
export const webhooksChannel = (prefix: string) => `${prefix}:webhooks`;

// --- Target guard (SSRF) -------------------------------------------------------------------------

/** All addresses of a host name, like `dns.promises.lookup(host, { all: true })`. */
export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** ipaddr.js range names in the words of the error message. */
const RANGE_NAMES: Record<string, string> = {
  uniqueLocal: "unique-local",
  linkLocal: "link-local",
  carrierGradeNat: "shared (CGNAT)",
  rfc6052: "NAT64",
  rfc6145: "IPv4-translated",
  teredo: "Teredo",
  "6to4": "6to4",
  deprecatedSiteLocal: "site-local",
  as112: "AS112",
  as112v6: "AS112",
  amt: "AMT",
};

/** IPv6 global unicast (2000::/3): everything outside it is reserved, local or special. */
const V6_GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

/**
 * Why a webhook may not target this address, or null for a public one. Every range of the IANA
 * special-purpose registries counts (ipaddr.js's range(): loopback, private, CGNAT, link-local,
 * documentation, benchmarking, 192.88.99.0/24, AS112, AMT, multicast, broadcast, reserved, ...),
 * and so does every IPv6 address that embeds or tunnels IPv4 (mapped, NAT64 64:ff9b::/96 and
 * 64:ff9b:1::/48, Teredo 2001::/32, 6to4 2002::/16) whatever it embeds: a public relay or
 * translator in front of a private address is the classic way round a guard.
 */
export function forbiddenAddressReason(ip: string): string | null {
  const bare = ip.split("%")[0] ?? "";
  if (!isIP(bare)) return "not an IP address";
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(bare);
  } catch {
    return "not an IP address";
  }
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    // ::ffff:a.b.c.d is a dual-stack socket's way of reaching a.b.c.d itself: judge that.
    return forbiddenAddressReason((addr as ipaddr.IPv6).toIPv4Address().toString());
  }
  const range = addr.range();
  if (range !== "unicast") return RANGE_NAMES[range] ?? range;
  if (addr.kind() === "ipv6" && !(addr as ipaddr.IPv6).match(V6_GLOBAL_UNICAST)) return "reserved";
  return null;
}

/** The ports a webhook target may use: 80, 443 and the operator's WEBHOOK_ALLOWED_PORTS. */
export function webhookPortAllowed(url: URL, allowedPorts: readonly number[] = []): boolean {
  if (url.port === "") return true; // the scheme's default: 80 or 443
  const port = Number(url.port);
  return port === 80 || port === 443 || allowedPorts.includes(port);
}

/**
 * Refuse a webhook URL whose host is, or resolves to, any non-public address (every A/AAAA
 * record is checked: one private record is enough for a rebinding attack). Skipped when the
 * operator allows private targets. Throws TyError naming `url` (400).
 */
export async function checkWebhookTarget(
  url: string,
  opts: { allowPrivate: boolean; lookup: LookupAll; allowedPorts?: readonly number[]; path?: (string | number)[] },
): Promise<void> {
  if (opts.allowPrivate) return;
  const field = (opts.path ?? ["url"]).join(".");
  const refuse = (code: "TY_ERR_WEBHOOK_URL_FORBIDDEN" | "TY_ERR_WEBHOOK_URL_UNRESOLVABLE", message: string): never => {
    const m = message.replace(/^url:/, `${field}:`);
    throw new TyError(code, m, [{ code: "custom", path: opts.path ?? ["url"], message: m }]);
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse("TY_ERR_WEBHOOK_URL_FORBIDDEN", "url: not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    refuse("TY_ERR_WEBHOOK_URL_FORBIDDEN", "url: only http and https targets");
  if (!webhookPortAllowed(parsed, opts.allowedPorts))
    refuse(
      "TY_ERR_WEBHOOK_URL_FORBIDDEN",
      `url: port ${parsed.port} is not allowed; webhook targets use 80 or 443 (operators: WEBHOOK_ALLOWED_PORTS)`,
    );
  let host = parsed.hostname;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const addresses = isIP(host) ? [host] : (await opts.lookup(host).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) refuse("TY_ERR_WEBHOOK_URL_UNRESOLVABLE", `url: host ${host} does not resolve`);
  for (const a of addresses) {
    const why = forbiddenAddressReason(a);
    if (why) {
      refuse(
        "TY_ERR_WEBHOOK_URL_FORBIDDEN",
        `url: ${host} ${a === host ? "is" : `resolves to ${a},`} a non-public address (${why}); webhook targets must be public (operators: WEBHOOK_ALLOW_PRIVATE=true)`,
      );
    }
  }
}
