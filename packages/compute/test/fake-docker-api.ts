/**
 * FakeDockerApi: a TEST DOUBLE of the Docker Engine HTTP API (we cannot run a Docker daemon in
 * CI). A real HTTP server on a unix socket in a temp dir, which dockerode connects to like it does
 * to /var/run/docker.sock. It implements only the calls the docker backend makes, records every
 * request exactly (method, API version, path, query, JSON body) for tests to assert on, and lists
 * in `problems` anything a real daemon would have refused (bad JSON, a body without
 * `Content-Type: application/json`, unknown routes, a version-less path).
 *
 * Containers follow scripts: output frames (served multiplexed, cut into small writes so frame
 * headers straddle chunks), an exit code, OOMKilled, and what a stop does (exit after output, or
 * ignore SIGTERM until the stop's `t` runs out, then exit 137).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { dockerFrame } from "../src/docker-logs.js";

export interface RecordedRequest {
  method: string;
  /** e.g. `v1.43`, from the path prefix. */
  version: string | null;
  /** Path without the version prefix and query, e.g. `/containers/create`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export type Frame = { stream: "stdout" | "stderr"; data: string | Buffer };

export interface ContainerScript {
  output: Frame[];
  /** Exit code once the output is written; leave out for a container that runs until stopped. */
  exitCode?: number;
  oomKilled?: boolean;
  /** A trainer that handles SIGTERM: prints this and exits. Without it SIGTERM is ignored. */
  onStop?: { output: Frame[]; exitCode: number };
  /** Answer POST /start with this status and message (e.g. 500, no GPU driver). */
  startError?: { status: number; message: string };
}

interface FakeContainer {
  id: string;
  name: string;
  config: Record<string, unknown>;
  script: ContainerScript;
  status: "created" | "running" | "exited";
  exitCode: number;
  oomKilled: boolean;
  frames: Buffer[];
  /** Log followers, each with its chain of pending writes (keeps frames whole and in order). */
  followers: Map<ServerResponse, Promise<void>>;
  exitWaiters: Array<() => void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export class FakeDockerApi {
  readonly requests: RecordedRequest[] = [];
  readonly problems: string[] = [];
  /** Images present locally, as `repo:tag`. */
  readonly images = new Set<string>();
  /** Images a pull succeeds for, as `repo:tag`. */
  readonly pullable = new Set<string>();
  /** The script the next created container follows. */
  nextScript: ContainerScript = { output: [], exitCode: 0 };
  /** Bytes per write on log streams (small, so frames arrive cut). */
  chunkBytes = 5;
  private readonly containers = new Map<string, FakeContainer>();

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly socketPath: string,
  ) {}

  static async start(): Promise<FakeDockerApi> {
    const dir = mkdtempSync(join(tmpdir(), "fake-docker-"));
    const socketPath = join(dir, "docker.sock");
    const server = createServer();
    const fake = new FakeDockerApi(server, dir, socketPath);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((e: unknown) => {
        fake.problems.push(`the fake failed on ${req.method} ${req.url}: ${String(e)}`);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ message: String(e) }));
      });
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, resolve));
    return fake;
  }

  /** A dockerode client pointed at this fake, speaking API v1.43. */
  client(): Docker {
    return new Docker({ socketPath: this.socketPath, version: "v1.43" });
  }

  container(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.name === idOrName);
  }

  /** Request lines `METHOD /path?query` in arrival order (query keys in the order sent). */
  lines(): string[] {
    return this.requests.map((r) => {
      const q = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${q ? `?${q}` : ""}`;
    });
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) for (const f of c.followers.keys()) f.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? "/", "http://docker");
    const m = /^\/(v\d+\.\d+)(\/.*)$/.exec(url.pathname);
    if (!m) this.problems.push(`no API version in ${url.pathname}`);
    const path = m?.[2] ?? url.pathname;
    let body: unknown = null;
    if (raw) {
      if (req.headers["content-type"] !== "application/json") this.problems.push(`${path}: body without application/json`);
      try {
        body = JSON.parse(raw);
      } catch {
        this.problems.push(`${path}: body is not JSON`);
      }
    }
    const method = req.method ?? "GET";
    this.requests.push({ method, version: m?.[1] ?? null, path, query: Object.fromEntries(url.searchParams), body });
    const q = url.searchParams;
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const noContent = (status = 204) => {
      res.writeHead(status);
      res.end();
    };

    if (method === "POST" && path === "/containers/create") {
      const cfg = body as { Image?: string };
      const name = q.get("name") ?? "";
      if (!cfg?.Image || !this.images.has(withTag(cfg.Image))) return json(404, { message: `No such image: ${cfg?.Image}` });
      if (this.container(name)) return json(409, { message: `Conflict. The container name "/${name}" is already in use` });
      const id = randomBytes(32).toString("hex");
      this.containers.set(id, {
        id,
        name,
        config: body as Record<string, unknown>,
        script: this.nextScript,
        status: "created",
        exitCode: 0,
        oomKilled: false,
        frames: [],
        followers: new Map(),
        exitWaiters: [],
      });
      return json(201, { Id: id, Warnings: [] });
    }
    if (method === "POST" && path === "/images/create") {
      const ref = `${q.get("fromImage")}:${q.get("tag")}`;
      res.writeHead(200, { "Content-Type": "application/json" });
      if (!this.pullable.has(ref)) {
        res.end(
          `{"status":"Pulling from ${q.get("fromImage")}"}\n{"error":"pull access denied for ${q.get("fromImage")}, repository does not exist or may require 'docker login'"}\n`,
        );
        return;
      }
      this.images.add(ref);
      res.end(
        `{"status":"Pulling from ${q.get("fromImage")}","id":"${q.get("tag")}"}\n{"status":"Status: Downloaded newer image for ${ref}"}\n`,
      );
      return;
    }

    const cm = /^\/containers\/([^/]+)(\/[a-z]+)?$/.exec(path);
    const c = cm ? this.container(decodeURIComponent(cm[1] as string)) : undefined;
    if (!cm || !c) {
      if (!cm) this.problems.push(`unknown route ${method} ${path}`);
      return json(404, { message: `No such container: ${cm?.[1]}` });
    }
    const action = `${method} ${cm[2] ?? ""}`;
    switch (action) {
      case "POST /start":
        if (c.script.startError) return json(c.script.startError.status, { message: c.script.startError.message });
        if (c.status !== "created") return noContent(304);
        c.status = "running";
        noContent();
        return void this.run(c);
      case "GET /logs":
        return this.follow(c, res, q.get("follow") === "true");
      case "POST /wait":
        if (c.status !== "exited") await new Promise<void>((r) => c.exitWaiters.push(r));
        return json(200, { StatusCode: c.exitCode, Error: null });
      case "POST /stop": {
        if (c.status !== "running") return noContent(304);
        const t = Number(q.get("t") ?? 10);
        if (c.script.onStop) {
          await this.emit(c, c.script.onStop.output);
          this.exit(c, c.script.onStop.exitCode);
        } else {
          await new Promise((r) => setTimeout(r, t * 1000)); // SIGTERM ignored: the daemon SIGKILLs after t
          this.exit(c, 137);
        }
        return noContent();
      }
      case "POST /kill":
        if (c.status === "running") this.exit(c, 137);
        return noContent();
      case "GET /json":
        return json(200, {
          Id: c.id,
          Name: `/${c.name}`,
          Config: { Labels: (c.config.Labels as Record<string, string>) ?? {} },
          State: {
            Status: c.status,
            Running: c.status === "running",
            OOMKilled: c.oomKilled,
            ExitCode: c.exitCode,
            Dead: false,
            Paused: false,
            Restarting: false,
            Pid: 0,
            Error: "",
            StartedAt: "",
            FinishedAt: "",
          },
        });
      case "DELETE ":
        if (c.status === "running" && q.get("force") !== "true") return json(409, { message: "You cannot remove a running container" });
        this.containers.delete(c.id);
        return noContent();
      default:
        this.problems.push(`unknown route ${method} ${path}`);
        return json(404, { message: "page not found" });
    }
  }

  private async run(c: FakeContainer): Promise<void> {
    await this.emit(c, c.script.output);
    if (c.script.exitCode !== undefined && c.status === "running") {
      c.oomKilled = c.script.oomKilled ?? false;
      this.exit(c, c.script.exitCode);
    }
  }

  private async emit(c: FakeContainer, frames: Frame[]): Promise<void> {
    for (const f of frames) {
      const bytes = dockerFrame(f.stream, f.data);
      c.frames.push(bytes);
      for (const [res, chain] of c.followers)
        c.followers.set(
          res,
          chain.then(() => this.write(res, bytes)),
        );
      await Promise.all(c.followers.values());
      await tick();
    }
  }

  private async write(res: ServerResponse, bytes: Buffer): Promise<void> {
    for (let i = 0; i < bytes.length; i += this.chunkBytes) {
      res.write(bytes.subarray(i, i + this.chunkBytes));
      await tick();
    }
  }

  private exit(c: FakeContainer, code: number): void {
    c.status = "exited";
    c.exitCode = code;
    for (const [res, chain] of c.followers) void chain.then(() => res.end());
    c.followers.clear();
    for (const w of c.exitWaiters.splice(0)) w();
  }

  /** Past frames first, then live ones; the response ends when the container exits. */
  private follow(c: FakeContainer, res: ServerResponse, follow: boolean): void {
    res.writeHead(200, { "Content-Type": "application/vnd.docker.multiplexed-stream" });
    res.flushHeaders(); // as the daemon does: the client must get the stream before any output
    let chain = Promise.resolve();
    for (const bytes of c.frames) chain = chain.then(() => this.write(res, bytes));
    if (follow && c.status !== "exited") c.followers.set(res, chain);
    else void chain.then(() => res.end());
  }
}

function withTag(image: string): string {
  return image.lastIndexOf(":") > image.lastIndexOf("/") ? image : `${image}:latest`;
}
