/**
 * The API serves a dashboard build at `/` (here a small build written to a temporary directory;
 * the real build is driven in tests/browser): caching headers, client-route fallback, and JSON
 * 404s for everything that is not a client route.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody } from "@trainyard/contracts";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";
import { isClientRoute } from "./plugins/dashboard.js";

const dir = mkdtempSync(join(tmpdir(), "ty-dash-"));
const INDEX = '<!doctype html><html lang="en"><head><script type="module" src="/assets/app-3f9a1c.js"></script></head><body></body></html>';
let h: ApiHarness;
let bare: ApiHarness;

beforeAll(async () => {
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "app-3f9a1c.js"), "console.log('app')");
  writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  h = await startApiHarness({ dashboardDir: dir });
  bare = await startApiHarness({ dashboardDir: join(dir, "missing") });
});
afterAll(async () => {
  await h?.close();
  await bare?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (app: ApiHarness, url: string, headers: Record<string, string> = {}) => app.app.inject({ method: "GET", url, headers });

function expect404Json(res: Awaited<ReturnType<typeof get>>, code = "TY_ERR_ROUTE_NOT_FOUND") {
  expect(res.statusCode).toBe(404);
  expect(res.headers["content-type"]).toContain("application/json");
  expect(ApiErrorBody.parse(res.json()).code).toBe(code);
}

describe("the dashboard build at /", () => {
  it("serves index.html uncached (revalidated by ETag) and hashed assets as immutable", async () => {
    const index = await get(h, "/");
    expect(index.statusCode).toBe(200);
    expect(index.headers["content-type"]).toContain("text/html");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.body).toBe(INDEX);
    const again = await get(h, "/", { "if-none-match": String(index.headers.etag) });
    expect(again.statusCode).toBe(304);

    const asset = await get(h, "/assets/app-3f9a1c.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.body).toBe("console.log('app')");
    const icon = await get(h, "/favicon.svg");
    expect(icon.statusCode).toBe(200);
    expect(icon.headers["cache-control"]).toBe("no-cache");
  });

  it("answers client routes with index.html, so a deep link survives a reload", async () => {
    for (const url of ["/experiments", "/experiments/0b7a2f6e-5c1d-4c1e-9f43-3f7e3b1b2c9d?state=running", "/jobs/x", "/webhooks"]) {
      const res = await get(h, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers["cache-control"]).toBe("no-cache");
    }
    const head = await h.app.inject({ method: "HEAD", url: "/datasets/abc" });
    expect(head.statusCode).toBe(200);
  });

  it("keeps the API's JSON 404 for API paths, missing assets, files and other methods", async () => {
    expect404Json(await get(h, "/v1/nope"));
    expect404Json(await get(h, "/v1/experiments/x/nope"));
    expect404Json(await get(h, "/assets/app-000000.js"));
    expect404Json(await get(h, "/robots.txt"));
    expect404Json(await get(h, "/admin/nope"));
    expect404Json(await h.app.inject({ method: "POST", url: "/experiments" }));
    // and the API itself is untouched
    expect((await get(h, "/v1/experiments", auth(h.key))).statusCode).toBe(200);
    expect((await get(h, "/docs/json")).statusCode).toBe(200);
    expect((await get(h, "/healthz")).json()).toEqual({ ok: true });
  });

  it("says the dashboard is not built when there is no build, and still 404s as JSON", async () => {
    expect404Json(await get(bare, "/"), "TY_ERR_DASHBOARD_NOT_BUILT");
    expect404Json(await get(bare, "/experiments"));
    expect((await get(bare, "/v1/experiments", auth(bare.key))).statusCode).toBe(200);
  });

  it("tells client routes from server paths", () => {
    expect(isClientRoute("/")).toBe(true);
    expect(isClientRoute("/experiments/abc")).toBe(true);
    expect(isClientRoute("/v1")).toBe(false);
    expect(isClientRoute("/v1x")).toBe(true); // a prefix is a whole segment
    expect(isClientRoute("/docs/static/index.html")).toBe(false);
    expect(isClientRoute("/main.css")).toBe(false);
  });
});
