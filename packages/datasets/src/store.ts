/**
 * The artifact store: datasets (and later checkpoints) as plain files under one root, addressed
 * by keys like `datasets/<specHash>/train/frozen-answer.jsonl` and URIs `artifact://<key>`.
 *
 * Mounting: the root (ARTIFACT_DIR) is the directory a Docker volume or Kubernetes PVC exposes
 * to trainer containers. Mount it at the same path, or at any path P and map `artifact://K` to
 * `P/K`: `pathFor(uri)` is exactly `root + "/" + key`, nothing is renamed or packed.
 *
 * Writes are atomic (temp file in the same directory, then rename), so a reader never sees half
 * a file and a rebuild that produces identical bytes simply replaces them. Blobs put through
 * `putBlob` are content-addressed: `blobs/sha256/<hex>`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { TyError } from "@trainyard/contracts";

export const ARTIFACT_SCHEME = "artifact://";

export interface ArtifactStat {
  key: string;
  uri: string;
  bytes: number;
}
export interface PutResult extends ArtifactStat {
  sha256: string;
}
export type PutSource = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export interface ArtifactStore {
  put(key: string, data: PutSource): Promise<PutResult>;
  /** Content-addressed put: the key is `blobs/sha256/<hex>` of the bytes. */
  putBlob(data: PutSource): Promise<PutResult>;
  get(key: string): Promise<Buffer>;
  stat(key: string): Promise<ArtifactStat | null>;
  /** SHA-256 of a stored file, streamed. */
  hash(key: string): Promise<string>;
  /** Keys under a prefix (recursive, sorted). */
  list(prefix: string): Promise<ArtifactStat[]>;
  open(key: string, range?: { start?: number; end?: number }): Readable;
  remove(key: string): Promise<void>;
  uri(key: string): string;
  keyOf(uri: string): string;
  /** Local filesystem path of a URI or key, for mounting into containers. */
  pathFor(uriOrKey: string): string;
}

/** Keys are relative paths of safe segments: no `..`, no absolute paths, no backslashes. */
export function checkKey(key: string): string {
  const k = key.startsWith(ARTIFACT_SCHEME) ? key.slice(ARTIFACT_SCHEME.length) : key;
  if (k.length === 0 || k.length > 1000 || !/^[A-Za-z0-9._\-/]+$/.test(k) || k.startsWith("/") || k.endsWith("/")) {
    throw new RangeError(`bad artifact key ${JSON.stringify(key).slice(0, 120)}`);
  }
  if (k.split("/").some((seg) => seg === "" || seg === "." || seg === ".."))
    throw new RangeError(`bad artifact key ${JSON.stringify(key)}`);
  return k;
}

function missing(key: string): TyError {
  return new TyError("TY_ERR_ARTIFACT_MISSING", `artifact ${key} is not in the store`);
}

async function* chunks(data: PutSource): AsyncIterable<Uint8Array> {
  if (typeof data === "string") yield Buffer.from(data, "utf8");
  else if (data instanceof Uint8Array) yield data;
  else for await (const c of data as AsyncIterable<string | Uint8Array>) yield typeof c === "string" ? Buffer.from(c, "utf8") : c;
}

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  pathFor(uriOrKey: string): string {
    const p = join(this.root, ...checkKey(uriOrKey).split("/"));
    // Defence in depth: checkKey already forbids every way out of the root.
    if (!p.startsWith(this.root + sep)) throw new RangeError(`artifact key escapes the store: ${uriOrKey}`);
    return p;
  }
  uri(key: string): string {
    return ARTIFACT_SCHEME + checkKey(key);
  }
  keyOf(uri: string): string {
    return checkKey(uri);
  }

  async put(key: string, data: PutSource): Promise<PutResult> {
    const k = checkKey(key);
    const path = this.pathFor(k);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    const h = createHash("sha256");
    let bytes = 0;
    async function* tap(): AsyncIterable<Uint8Array> {
      for await (const c of chunks(data)) {
        h.update(c);
        bytes += c.length;
        yield c;
      }
    }
    try {
      if (typeof data === "string" || data instanceof Uint8Array) {
        // In-memory content: one write, no stream machinery.
        const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
        h.update(buf);
        bytes = buf.length;
        await writeFile(tmp, buf);
      } else await pipeline(Readable.from(tap()), createWriteStream(tmp));
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { key: k, uri: this.uri(k), bytes, sha256: h.digest("hex") };
  }

  async putBlob(data: PutSource): Promise<PutResult> {
    const tmpKey = `blobs/.incoming/${randomBytes(8).toString("hex")}`;
    const r = await this.put(tmpKey, data);
    const key = `blobs/sha256/${r.sha256}`;
    await mkdir(dirname(this.pathFor(key)), { recursive: true });
    await rename(this.pathFor(tmpKey), this.pathFor(key));
    return { ...r, key, uri: this.uri(key) };
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathFor(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw missing(key);
      throw e;
    }
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    const k = checkKey(key);
    try {
      const s = await stat(this.pathFor(k));
      return s.isFile() ? { key: k, uri: this.uri(k), bytes: s.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }

  async hash(key: string): Promise<string> {
    if (!(await this.stat(key))) throw missing(key);
    const h = createHash("sha256");
    for await (const c of this.open(key)) h.update(c as Buffer);
    return h.digest("hex");
  }

  async list(prefix: string): Promise<ArtifactStat[]> {
    const base = prefix === "" ? this.root : this.pathFor(prefix);
    const out: ArtifactStat[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return;
        throw e;
      }
      for (const ent of entries) {
        const p = join(dir, ent.name);
        if (ent.isDirectory()) await walk(p);
        else if (ent.isFile() && !/\.tmp-[0-9a-f]{12}$/.test(ent.name)) {
          const key = relative(this.root, p).split(sep).join("/");
          out.push({ key, uri: this.uri(key), bytes: (await stat(p)).size });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  open(key: string, range: { start?: number; end?: number } = {}): ReadStream {
    return createReadStream(this.pathFor(key), range);
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true, recursive: true });
  }
}
