/** The dataset routes against a real database and a dataset really built into an artifact store. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { FastifyInstance } from "fastify";
import { ApiErrorBody } from "@trainyard/contracts";
import { createApiKey } from "@trainyard/db";
import { LocalArtifactStore, buildDataset, datasetKey, datasetSpecHash, resolveDatasetSpec, type Manifest } from "@trainyard/datasets";
import { buildApp } from "../app.js";
import { artifactPath } from "./datasets.js";
import { auth, startApiHarness, type ApiHarness } from "../../../../tests/helpers/api.js";

let h: ApiHarness;
let app: FastifyInstance;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-api-artifacts-"));
const store = new LocalArtifactStore(artifactDir);
let datasetId = "";
let manifest: Manifest;
let dir = "";

const get = (url: string, key = h.key, headers: Record<string, string> = {}) =>
  app.inject({ method: "GET", url, headers: { ...auth(key), ...headers } });
const code = (res: { json(): unknown }) => ApiErrorBody.parse(res.json()).code;

beforeAll(async () => {
  h = await startApiHarness();
  const config = { REDIS_PREFIX: h.prefix, API_BODY_LIMIT_BYTES: 1024 * 1024, LOG_LEVEL: "silent" as const, ARTIFACT_DIR: artifactDir };
  app = await buildApp({ db: h.db, redis: h.redis, config, logger: pino({ level: "silent" }) });

  const spec = resolveDatasetSpec({
    task: "sokoban",
    train: { size: 10, arms: [{ data: "frozen", target: "answer" }] },
    eval: { size: 4, splits: ["id", "fake"] },
  });
  const prefix = datasetKey(datasetSpecHash(spec));
  manifest = (await buildDataset(spec, { store, prefix })).manifest;
  dir = store.pathFor(prefix);
  const exp = await app.inject({ method: "POST", url: "/v1/experiments", headers: auth(h.key), payload: { preset: "demo-cpu" } });
  const row = await h.db.dataset.create({
    data: {
      experimentId: exp.json().id,
      task: "sokoban",
      specHash: manifest.specHash,
      manifest: manifest as never,
      uri: store.uri(prefix),
    },
  });
  datasetId = row.id;
}, 120_000);
afterAll(async () => {
  await app?.close();
  await h?.close();
});

describe("dataset routes", () => {
  it("lists the project's datasets with cursor pagination and returns the manifest", async () => {
    const list = await get("/v1/datasets?limit=1");
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      expect.objectContaining({
        id: datasetId,
        task: "sokoban",
        specHash: manifest.specHash,
        files: 3,
        rows: manifest.files.reduce((n, f) => n + f.rows, 0),
      }),
    ]);
    expect(list.json().nextCursor).toBeNull();
    expect(code(await get("/v1/datasets?cursor=nope"))).toBe("TY_ERR_INVALID_CURSOR");
    const one = await get(`/v1/datasets/${datasetId}`);
    expect(one.json().manifest).toEqual(manifest);
    expect(artifactPath(artifactDir, one.json().uri)).toBe(dir); // the route's URI mapping is the store's pathFor
  });

  it("pages through rows by split or file", async () => {
    const p1 = await get(`/v1/datasets/${datasetId}/rows?split=id&limit=3`);
    expect(p1.statusCode).toBe(200);
    expect(p1.json()).toMatchObject({ file: "eval/id.jsonl", offset: 0, total: 4 });
    expect(p1.json().rows.map((r: { seed: number }) => r.seed)).toEqual([123, 124, 125]);
    const p2 = await get(`/v1/datasets/${datasetId}/rows?split=id&limit=3&cursor=${p1.json().nextCursor}`);
    expect(p2.json()).toMatchObject({ offset: 3, nextCursor: null });
    expect(p2.json().rows.map((r: { seed: number }) => r.seed)).toEqual([126]);
    const train = await get(`/v1/datasets/${datasetId}/rows?file=train/frozen-answer.jsonl&limit=200`);
    expect(train.json().rows).toHaveLength(manifest.files[0]!.rows);
    expect(train.json().rows[0].completion).toBe("</think> <answer> Right </answer>\n");
    expect(code(await get(`/v1/datasets/${datasetId}/rows?split=large`))).toBe("TY_ERR_NOT_FOUND");
    expect(code(await get(`/v1/datasets/${datasetId}/rows`))).toBe("TY_ERR_VALIDATION");
    expect(code(await get(`/v1/datasets/${datasetId}/rows?split=fake&cursor=${p1.json().nextCursor}`))).toBe("TY_ERR_INVALID_CURSOR");
  });

  it("a dataset rows cursor with a negative or mid-line offset is 400 TY_ERR_INVALID_CURSOR, never 500", async () => {
    const p1 = await get(`/v1/datasets/${datasetId}/rows?split=id&limit=3`);
    const [offset, row, sha] = JSON.parse(Buffer.from(p1.json().nextCursor as string, "base64url").toString("utf8")) as [
      number,
      number,
      string,
    ];
    const forge = (o: number, r: number) => Buffer.from(JSON.stringify([o, r, sha])).toString("base64url");
    for (const c of [
      forge(-1, row),
      forge(offset - 1, row),
      forge(offset + 1, row),
      forge(offset, -1),
      forge(10 ** 12, row),
      forge(offset, 10 ** 9),
    ]) {
      const res = await get(`/v1/datasets/${datasetId}/rows?split=id&limit=3&cursor=${c}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(code(res)).toBe("TY_ERR_INVALID_CURSOR");
    }
    expect((await get(`/v1/datasets/${datasetId}/rows?split=id&limit=3&cursor=${forge(offset, row)}`)).statusCode).toBe(200);
  });

  it("streams a file with its SHA-256 and a strong ETag", async () => {
    const f = manifest.files.find((x) => x.path === "eval/fake.jsonl")!;
    const res = await get(`/v1/datasets/${datasetId}/files/eval/fake.jsonl`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-content-sha256"]).toBe(f.sha256);
    expect(res.headers.etag).toBe(`"${f.sha256}"`);
    expect(res.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    expect(createHash("sha256").update(res.rawPayload).digest("hex")).toBe(f.sha256);
    expect((await get(`/v1/datasets/${datasetId}/files/eval/fake.jsonl`, h.key, { "if-none-match": `"${f.sha256}"` })).statusCode).toBe(
      304,
    );
    const m = await get(`/v1/datasets/${datasetId}/files/manifest.json`);
    expect(m.body).toBe(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(code(await get(`/v1/datasets/${datasetId}/files/..%2F..%2Fetc%2Fpasswd`))).toBe("TY_ERR_NOT_FOUND");
    expect(code(await get(`/v1/datasets/${datasetId}/files/.work/x.jsonl`))).toBe("TY_ERR_NOT_FOUND");
  });

  it("hides other projects' datasets and requires a key", async () => {
    const other = await createApiKey(h.db, "beta");
    expect(code(await get(`/v1/datasets/${datasetId}`, other.key))).toBe("TY_ERR_NOT_FOUND");
    expect((await get("/v1/datasets", other.key)).json().items).toEqual([]);
    expect((await app.inject({ method: "GET", url: "/v1/datasets" })).statusCode).toBe(401);
    expect(code(await get("/v1/datasets/not-a-uuid"))).toBe("TY_ERR_NOT_FOUND");
  });
});
