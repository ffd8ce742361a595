/**
 * The deliverer's HTTP client: a `fetch`-shaped POST over node:http(s) whose DNS lookup refuses
 * non-public addresses. The socket connects to exactly the addresses that passed the check, so a
 * host that re-resolves to 127.0.0.1 between a check and the connect (DNS rebinding) is refused.
 * Redirects are not followed (a 3xx is a failed attempt), and at most 4 KiB of the answer is read.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { forbiddenAddressReason } from "@trainyard/contracts";

/** What the deliverer needs of `fetch`; the global `fetch` fits (tests pass a counting one). */
export type WebhookFetch = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

const MAX_BODY_BYTES = 4096;

/** A dns.lookup that fails with TY_ERR_WEBHOOK_URL_FORBIDDEN when any address is not public. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const bad = allowPrivate ? undefined : addresses.find((a) => forbiddenAddressReason(a.address));
      if (bad) {
        const e = Object.assign(
          new Error(`${hostname} resolves to ${bad.address}, a non-public address (${forbiddenAddressReason(bad.address)})`),
          {
            code: "TY_ERR_WEBHOOK_URL_FORBIDDEN",
          },
        );
        return callback(e, "", 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
      return callback(null, first.address, first.family);
    });
  };
}

export function createWebhookFetch(opts: { allowPrivate: boolean }): WebhookFetch {
  const lookup = guardedLookup(opts.allowPrivate);
  return (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
      const literal = isIP(host) && !opts.allowPrivate ? forbiddenAddressReason(host) : null; // no lookup for IP literals
      if (literal)
        return reject(Object.assign(new Error(`${host} is a non-public address (${literal})`), { code: "TY_ERR_WEBHOOK_URL_FORBIDDEN" }));
      const mod = u.protocol === "https:" ? https : http;
      const req = mod.request(u, { method: init.method, headers: init.headers, lookup, signal: init.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: { get: (name) => [res.headers[name.toLowerCase()]].flat()[0] ?? null },
            text: async () => Buffer.concat(chunks).toString("utf8"),
          });
        res.on("data", (c: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(c.subarray(0, MAX_BODY_BYTES - size));
          size += c.length;
          if (size >= MAX_BODY_BYTES) {
            res.destroy(); // the status is what counts; do not read a huge answer
            done();
          }
        });
        res.on("end", done);
        res.on("error", (e) => (size >= MAX_BODY_BYTES ? done() : reject(e)));
      });
      req.on("error", reject);
      req.end(init.body);
    });
}
