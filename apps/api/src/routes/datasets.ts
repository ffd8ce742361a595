/**
 * Datasets built by the dataset-build job, read-only, scoped to the API key's project through
 * the dataset's experiment (other projects' datasets are 404s):
 *   GET /datasets                         list, newest first, cursor pagination
 *   GET /datasets/:id                     the manifest
 *   GET /datasets/:id/rows?split=|file=   page through one file's rows (cursor = byte offset)
 *   GET /datasets/:id/files/*             download a listed file, streamed, with
 *                                         `x-content-sha256` and a strong ETag (If-None-Match → 304)
 *
 * Files live in the artifact store (ARTIFACT_DIR). apps/api may not import packages/datasets,
 * so the `artifact://<key>` → `<root>/<key>` mapping is restated here in a few lines; it is the
 * store's `pathFor`, and datasets.test.ts checks the two agree on a real build.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import {
  DatasetFile,
  type DatasetManifest,
  DatasetPage,
  DatasetResponse,
  DatasetRows,
  NoBody,
  PageQuery,
  TyError,
  decodeCursor,
  encodeCursor,
} from "@trainyard/contracts";
import { isUuid } from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { BY_ID, IdParams, replies } from "./schemas.js";

export interface DatasetRoutesOptions {
  /** Artifact store root; defaults to the app config's ARTIFACT_DIR, then `./artifacts`. */
  artifactDir?: string;
}

interface ManifestFile {
  path: string;
  kind: "train" | "eval";
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

const RowsQuery = z.object({
  split: z.string().max(64).optional(),
  file: z.string().max(300).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const FileParams = z.object({ id: z.string().max(64), "*": z.string().max(300) });

/** `artifact://datasets/<hash>` → an absolute path under `root`, refusing anything that could leave it. */
export function artifactPath(root: string, uri: string): string {
  const key = uri.startsWith("artifact://") ? uri.slice("artifact://".length) : uri;
  if (!/^[A-Za-z0-9._\-/]+$/.test(key) || key.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new TyError("TY_ERR_INTERNAL", "dataset has a malformed artifact URI");
  }
  const p = join(root, ...key.split("/"));
  if (!p.startsWith(root + sep)) throw new TyError("TY_ERR_INTERNAL", "dataset URI leaves the artifact store");
  return p;
}

/** Reads up to `limit` lines from byte `offset`; `next` is the offset after the last one, or null at the end. */
async function linesFrom(path: string, offset: number, limit: number): Promise<{ lines: string[]; next: number | null }> {
  const lines: string[] = [];
  let pos = offset;
  let rest = Buffer.alloc(0);
  const stream = createReadStream(path, { start: offset, highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      let buf = Buffer.concat([rest, chunk as Buffer]);
      let nl: number;
      while ((nl = buf.indexOf(10)) >= 0) {
        if (lines.length === limit) return { lines, next: pos };
        lines.push(buf.subarray(0, nl).toString("utf8"));
        pos += nl + 1;
        buf = buf.subarray(nl + 1);
      }
      rest = buf;
    }
  } finally {
    stream.destroy();
  }
  return { lines, next: null };
}

function encodeRowsCursor(offset: number, row: number, sha: string): string {
  return Buffer.from(JSON.stringify([offset, row, sha.slice(0, 16)])).toString("base64url");
}

const badRowsCursor = (): never => {
  throw new TyError("TY_ERR_INVALID_CURSOR", "cursor is malformed or from another file", [
    { code: "custom", path: ["query", "cursor"], message: "malformed cursor" },
  ]);
};

/** A cursor's offset must be the start of a line (just after a newline) inside the file. */
async function checkLineStart(path: string, offset: number): Promise<void> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (offset >= size) badRowsCursor();
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset - 1);
    if (b[0] !== 10) badRowsCursor();
  } finally {
    await fh.close();
  }
}

function decodeRowsCursor(cursor: string, sha: string): { offset: number; row: number } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      Number.isSafeInteger(v[0]) &&
      Number.isSafeInteger(v[1]) &&
      (v[0] as number) > 0 &&
      (v[1] as number) > 0 &&
      v[2] === sha.slice(0, 16)
    ) {
      return { offset: v[0] as number, row: v[1] as number };
    }
  } catch {
    // fall through
  }
  throw new TyError("TY_ERR_INVALID_CURSOR", "cursor is malformed or from another file", [
    { code: "custom", path: ["query", "cursor"], message: "malformed cursor" },
  ]);
}

/** The fields a dataset's list item and its detail share. */
function datasetHead(d: { id: string; experimentId: string | null; task: string; specHash: string; uri: string; createdAt: Date }) {
  return { id: d.id, experimentId: d.experimentId, task: d.task, specHash: d.specHash, uri: d.uri, createdAt: d.createdAt.toISOString() };
}

export async function datasetRoutes(appBase: FastifyInstance, opts: DatasetRoutesOptions = {}) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);
  const configured = (app.deps?.config as { ARTIFACT_DIR?: string } | undefined)?.ARTIFACT_DIR;
  const root = resolve(opts.artifactDir ?? configured ?? "./artifacts");

  const load = async (projectId: string, id: string) => {
    const d = isUuid(id) ? await app.db.dataset.findFirst({ where: { id, experiment: { projectId } } }) : null;
    if (!d) throw new TyError("TY_ERR_NOT_FOUND", `dataset ${id} not found`);
    const manifest = d.manifest as unknown as { files?: ManifestFile[] };
    return { d, files: manifest.files ?? [], dir: artifactPath(root, d.uri) };
  };
  const onDisk = async (path: string, what: string) => {
    const s = await stat(path).catch(() => null);
    if (!s?.isFile()) throw new TyError("TY_ERR_ARTIFACT_MISSING", `${what} is not in the artifact store; rebuild the dataset`);
    return s;
  };

  app.get(
    "/datasets",
    {
      schema: {
        summary: "List datasets (newest first)",
        querystring: PageQuery.extend({ experimentId: z.string().max(64).optional() }),
        response: replies({ 200: DatasetPage }),
      },
    },
    async (req) => {
      const q = req.query;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (after === null) {
        throw new TyError("TY_ERR_INVALID_CURSOR", "cursor is malformed", [
          { code: "custom", path: ["query", "cursor"], message: "malformed cursor" },
        ]);
      }
      if (q.experimentId !== undefined && !isUuid(q.experimentId)) return { items: [], nextCursor: null };
      const rows = await app.db.dataset.findMany({
        where: {
          experiment: { projectId: principalOf(req).projectId },
          ...(q.experimentId ? { experimentId: q.experimentId } : {}),
          ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = rows.length > q.limit ? page[page.length - 1] : undefined;
      return {
        items: page.map((d) => {
          const files = (d.manifest as unknown as { files?: ManifestFile[] }).files ?? [];
          return {
            ...datasetHead(d),
            files: files.length,
            rows: files.reduce((n, f) => n + f.rows, 0),
          };
        }),
        nextCursor: last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  );

  app.get(
    "/datasets/:id",
    { schema: { summary: "A dataset and its manifest", params: IdParams, response: replies({ 200: DatasetResponse }, BY_ID) } },
    async (req) => {
      const { d } = await load(principalOf(req).projectId, req.params.id);
      return {
        ...datasetHead(d),
        manifest: d.manifest as DatasetManifest,
      };
    },
  );

  app.get(
    "/datasets/:id/rows",
    {
      schema: {
        summary: "Page through the rows of one file (`split` = an evaluation split, or `file` = a manifest path)",
        params: IdParams,
        querystring: RowsQuery,
        response: replies({ 200: DatasetRows }, BY_ID),
      },
    },
    async (req) => {
      const q = req.query;
      if ((q.split === undefined) === (q.file === undefined)) {
        throw new TyError("TY_ERR_VALIDATION", "give exactly one of `split` or `file`", [
          { code: "custom", path: ["query", q.split === undefined ? "split" : "file"], message: "give exactly one of split or file" },
        ]);
      }
      const { files, dir } = await load(principalOf(req).projectId, req.params.id);
      const f = q.split !== undefined ? files.find((x) => x.kind === "eval" && x.name === q.split) : files.find((x) => x.path === q.file);
      if (!f) {
        const known = q.split !== undefined ? files.filter((x) => x.kind === "eval").map((x) => x.name) : files.map((x) => x.path);
        throw new TyError(
          "TY_ERR_NOT_FOUND",
          `${q.split !== undefined ? `split '${q.split}'` : `file '${q.file}'`} is not in this dataset; one of: ${known.join(", ")}`,
        );
      }
      const path = artifactPath(dir, f.path);
      await onDisk(path, f.path);
      const at = q.cursor ? decodeRowsCursor(q.cursor, f.sha256) : { offset: 0, row: 0 };
      if (at.row >= f.rows && q.cursor) badRowsCursor();
      if (at.offset > 0) await checkLineStart(path, at.offset);
      const { lines, next } = await linesFrom(path, at.offset, q.limit);
      return {
        file: f.path,
        rows: lines.filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
        offset: at.row,
        total: f.rows,
        nextCursor: next !== null && at.row + lines.length < f.rows ? encodeRowsCursor(next, at.row + lines.length, f.sha256) : null,
      };
    },
  );

  app.get(
    "/datasets/:id/files/*",
    {
      schema: {
        summary: "Download a file of the dataset (streamed)",
        params: FileParams,
        // 304: the If-None-Match ETag still matches.
        response: replies({ 200: DatasetFile, 304: NoBody }, BY_ID),
      },
    },
    async (req, reply) => {
      const rel = req.params["*"];
      const { files, dir } = await load(principalOf(req).projectId, req.params.id);
      const entry = files.find((x) => x.path === rel);
      if (!entry && rel !== "manifest.json") {
        throw new TyError(
          "TY_ERR_NOT_FOUND",
          `file '${rel}' is not in this dataset; one of: manifest.json, ${files.map((x) => x.path).join(", ")}`,
        );
      }
      const path = artifactPath(dir, rel);
      const s = await onDisk(path, rel);
      const sha = entry
        ? entry.sha256
        : createHash("sha256")
            .update(await readFile(path))
            .digest("hex");
      const etag = `"${sha}"`;
      reply.header("x-content-sha256", sha).header("etag", etag).header("cache-control", "private, max-age=0, must-revalidate");
      if (req.headers["if-none-match"] === etag) return reply.status(304).send(undefined);
      reply
        .header("content-type", rel.endsWith(".jsonl") ? "application/x-ndjson; charset=utf-8" : "application/json; charset=utf-8")
        .header("content-length", s.size)
        .header("content-disposition", `attachment; filename="${rel.split("/").pop()}"`);
      // The stream is the file's bytes: the schema documents them, the type cannot say "a stream".
      return reply.send(createReadStream(path) as unknown as string);
    },
  );
}
