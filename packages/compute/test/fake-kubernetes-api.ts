/**
 * FakeKubernetesApi: a TEST DOUBLE of the Kubernetes API server (we cannot run a cluster in CI).
 * A real HTTP server on 127.0.0.1 with a KubeConfig pointing at it, so @kubernetes/client-node
 * runs unmodified. It serves only what the kubernetes backend uses: Jobs (create, read, delete),
 * pods (list by `job-name`, read, delete), pod logs (follow, timestamps, sinceTime) and, for
 * multi-node runs, Services (create; kept in `services`, checked to be headless and owned by
 * an existing Job). An Indexed Job still runs its scripted pods one at a time.
 *
 * Every request is recorded (verb, path, query, JSON body). `problems` lists what a real API
 * server would refuse: a missing bearer token, a body that is not JSON, a Job name that is not a
 * DNS-1123 label, a pod template without restartPolicy Never, unknown routes.
 *
 * A Job runs pods by script, on real timers: Pending → Running (log lines appear, stamped with
 * kubelet-style RFC3339Nano times, two lines per stamp) → terminated. Failed pods are retried up
 * to backoffLimit; activeDeadlineSeconds fails the Job with DeadlineExceeded; deleting the Job
 * (or a pod) sends the script's SIGTERM handling, or kills after the grace period.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export const FAKE_TOKEN = "fake-kubernetes-token";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface PodScript {
  /** Lines the trainer prints (stdout and stderr interleave in pod logs). */
  lines: string[];
  /** Exit code after the lines; leave out for a trainer that runs until its pod is deleted. */
  exitCode?: number;
  /** Termination reason; default Completed (exit 0) or Error. */
  reason?: string;
  /** Handles SIGTERM: prints these and exits. Without it the pod is killed (137) after its grace. */
  onTerminate?: { lines: string[]; exitCode: number };
  /** End the pod's first log stream after this many lines while the container keeps running. */
  cutFirstLogAfter?: number;
  /** ms Pending before the container starts; default 20. */
  pendingMs?: number;
  /** ms between printed lines; default 3. */
  lineIntervalMs?: number;
}

interface Follower {
  res: ServerResponse;
  timestamps: boolean;
  /** Lines sent on this connection, and the most it may send (a cut stream). */
  sent: number;
  limit: number;
  /** Index of the next pod line to send. */
  next: number;
}

interface FakePod {
  name: string;
  job: string;
  created: string;
  labels: Record<string, string>;
  grace: number;
  script: PodScript;
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  lines: { ts: string; text: string }[];
  terminated?: { exitCode: number; reason: string };
  deleting: boolean;
  logConnections: number;
  followers: Set<Follower>;
}

interface FakeJob {
  manifest: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  conditions: { type: string; status: string; reason: string; message: string }[];
  failed: number;
  succeeded: number;
  attempt: number;
  scripts: PodScript[];
  timer?: NodeJS.Timeout;
}

const BASE_MS = Date.parse("2026-01-01T00:00:00Z");
/** Kubelet style: nanoseconds with trailing zeros trimmed; lines 2k and 2k+1 share a stamp. */
function stamp(i: number): string {
  const nanos = Math.floor(i / 2) * 250_000_000;
  const iso = new Date(BASE_MS + Math.floor(nanos / 1e9) * 1000).toISOString().slice(0, 19);
  const frac = String(nanos % 1e9)
    .padStart(9, "0")
    .replace(/0+$/, "");
  return `${iso}${frac ? `.${frac}` : ""}Z`;
}

export class FakeKubernetesApi {
  readonly requests: RecordedRequest[] = [];
  readonly problems: string[] = [];
  /** Scripts of the pods the next Job runs, one per attempt (the last repeats). */
  nextPods: PodScript[] = [{ lines: [], exitCode: 0 }];
  readonly jobs = new Map<string, FakeJob>();
  readonly services = new Map<string, Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly pods = new Map<string, FakePod>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeKubernetesApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeKubernetesApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((e: unknown) => {
        fake.problems.push(`the fake failed on ${req.method} ${req.url}: ${String(e)}`);
        if (!res.headersSent) status(res, 500, "InternalError", String(e));
      });
    });
    return fake;
  }

  kubeConfig(token = FAKE_TOKEN): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: "tester", token }],
      contexts: [{ name: "fake", cluster: "fake", user: "tester", namespace: "trainyard" }],
      currentContext: "fake",
    });
    return kc;
  }

  /** `VERB /path?query` per request, in arrival order. */
  lines(): string[] {
    return this.requests.map((r) => {
      const q = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${q ? `?${q}` : ""}`;
    });
  }

  podsOf(job: string): FakePod[] {
    return [...this.pods.values()].filter((p) => p.job === job);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const p of this.pods.values()) for (const f of p.followers) f.res.end();
    for (const j of this.jobs.values()) clearTimeout(j.timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? "/", this.url);
    let body: unknown = null;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.problems.push(`${url.pathname}: body is not JSON`);
      }
    }
    const method = req.method ?? "GET";
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) {
      this.problems.push(`${method} ${url.pathname}: no valid bearer token`);
      return status(res, 401, "Unauthorized", "Unauthorized");
    }
    const q = url.searchParams;
    let m: RegExpExecArray | null;
    if ((m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/.exec(url.pathname)) && method === "POST") {
      return this.createJob(res, m[1] as string, body as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    }
    if ((m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/.exec(url.pathname))) {
      const job = this.jobs.get(`${m[1]}/${m[2]}`);
      if (!job) return status(res, 404, "NotFound", `jobs.batch "${m[2]}" not found`);
      if (method === "GET") return json(res, 200, this.jobView(job));
      if (method === "DELETE") {
        if (q.get("propagationPolicy") !== "Background")
          this.problems.push("Job deleted without propagationPolicy=Background: its pods would be orphaned");
        this.deleteJob(m[1] as string, m[2] as string);
        return json(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          status: "Success",
          details: { name: m[2], group: "batch", kind: "jobs" },
        });
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/services$/.exec(url.pathname)) && method === "POST") {
      const svc = body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const key = `${m[1]}/${svc?.metadata?.name}`;
      if (this.services.has(key)) return status(res, 409, "AlreadyExists", `services "${svc.metadata.name}" already exists`);
      const owner = svc?.metadata?.ownerReferences?.[0];
      const job = [...this.jobs.values()].find((j) => j.manifest.metadata.uid === owner?.uid);
      if (!job || owner?.kind !== "Job") this.problems.push(`Service ${key} is not owned by an existing Job: it would outlive it`);
      const created = { ...svc, metadata: { ...svc.metadata, namespace: m[1], uid: randomBytes(8).toString("hex") } };
      this.services.set(key, created);
      return json(res, 201, created);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname)) && method === "GET") {
      const sel = /^job-name=([a-z0-9-]+)$/.exec(q.get("labelSelector") ?? "");
      if (!sel) this.problems.push(`pod list without a job-name selector: ${q.get("labelSelector")}`);
      const items = [...this.pods.values()].filter((p) => sel && p.labels["job-name"] === sel[1]).map((p) => this.podView(p));
      return json(res, 200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/log)?$/.exec(url.pathname))) {
      const pod = this.pods.get(m[2] as string);
      if (!pod) return status(res, 404, "NotFound", `pods "${m[2]}" not found`);
      if (m[3] && method === "GET") return this.serveLog(res, pod, q);
      if (!m[3] && method === "GET") return json(res, 200, this.podView(pod));
      if (!m[3] && method === "DELETE") {
        if (q.get("gracePeriodSeconds") === "0") {
          if (!pod.terminated) this.terminate(pod, 137, "Error");
          this.pods.delete(pod.name);
        } else this.deletePod(pod);
        return json(res, 200, this.podView(pod));
      }
    }
    this.problems.push(`unknown route ${method} ${url.pathname}`);
    return status(res, 404, "NotFound", "the server could not find the requested resource");
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private createJob(res: ServerResponse, ns: string, manifest: Record<string, any>): void {
    const name = manifest?.metadata?.name as string | undefined;
    if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      this.problems.push(`Job name is not a DNS-1123 label: ${name}`);
      return status(res, 422, "Invalid", `Job.batch "${name}" is invalid`);
    }
    if (manifest.spec?.template?.spec?.restartPolicy !== "Never")
      this.problems.push("a Job pod template needs restartPolicy Never or OnFailure; we use Never");
    if (this.jobs.has(`${ns}/${name}`)) return status(res, 409, "AlreadyExists", `jobs.batch "${name}" already exists`);
    const job: FakeJob = {
      manifest: { ...manifest, metadata: { ...manifest.metadata, namespace: ns, uid: randomBytes(8).toString("hex") } },
      conditions: [],
      failed: 0,
      succeeded: 0,
      attempt: 0,
      scripts: this.nextPods,
    };
    this.jobs.set(`${ns}/${name}`, job);
    const deadline = manifest.spec?.activeDeadlineSeconds as number | undefined;
    if (deadline) job.timer = setTimeout(() => this.deadlineExceeded(job), deadline * 1000);
    this.startPod(job);
    json(res, 201, this.jobView(job));
  }

  private startPod(job: FakeJob): void {
    const jobName = job.manifest.metadata.name as string;
    const script = job.scripts[Math.min(job.attempt, job.scripts.length - 1)] as PodScript;
    job.attempt++;
    const pod: FakePod = {
      name: `${jobName}-${randomBytes(3).toString("hex").slice(0, 5)}`,
      job: jobName,
      created: new Date(Date.now() + job.attempt).toISOString(),
      labels: { ...job.manifest.spec?.template?.metadata?.labels, "job-name": jobName, "batch.kubernetes.io/job-name": jobName },
      grace: job.manifest.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30,
      script,
      phase: "Pending",
      lines: [],
      deleting: false,
      logConnections: 0,
      followers: new Set(),
    };
    this.pods.set(pod.name, pod);
    this.later(script.pendingMs ?? 20, () => {
      if (pod.phase !== "Pending" || pod.deleting) return;
      pod.phase = "Running";
      this.print(pod, script.lines, () => {
        if (script.exitCode !== undefined && !pod.terminated) this.terminate(pod, script.exitCode, script.reason);
      });
    });
  }

  private print(pod: FakePod, lines: string[], then: () => void): void {
    const [first, ...rest] = lines;
    if (first === undefined || pod.terminated) return then();
    pod.lines.push({ ts: stamp(pod.lines.length), text: first });
    for (const f of pod.followers) this.sendLines(pod, f);
    this.later(pod.script.lineIntervalMs ?? 3, () => this.print(pod, rest, then));
  }

  private terminate(pod: FakePod, exitCode: number, reason?: string): void {
    if (pod.terminated) return;
    pod.terminated = { exitCode, reason: reason ?? (exitCode === 0 ? "Completed" : "Error") };
    pod.phase = exitCode === 0 ? "Succeeded" : "Failed";
    for (const f of pod.followers) f.res.end();
    pod.followers.clear();
    const job = [...this.jobs.values()].find((j) => j.manifest.metadata.name === pod.job);
    if (!job || pod.deleting || job.conditions.length > 0) return;
    // As the Job controller: the terminal condition is set once the pod has terminated.
    this.later(5, () => {
      if (exitCode === 0) {
        job.succeeded++;
        job.conditions.push({ type: "Complete", status: "True", reason: "", message: "" });
      } else if (++job.failed > (job.manifest.spec.backoffLimit ?? 6)) {
        job.conditions.push({
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        });
      } else {
        this.startPod(job);
      }
      if (job.conditions.length > 0) clearTimeout(job.timer);
    });
  }

  private deadlineExceeded(job: FakeJob): void {
    if (job.conditions.length > 0) return;
    for (const p of this.podsOf(job.manifest.metadata.name)) if (!p.terminated) this.terminate(p, 143, "Error");
    job.conditions.push({
      type: "Failed",
      status: "True",
      reason: "DeadlineExceeded",
      message: "Job was active longer than specified deadline",
    });
  }

  private deleteJob(ns: string, name: string): void {
    const job = this.jobs.get(`${ns}/${name}`);
    clearTimeout(job?.timer);
    this.jobs.delete(`${ns}/${name}`);
    for (const p of this.podsOf(name)) this.deletePod(p); // the garbage collector, in Background
  }

  /** A graceful pod deletion: SIGTERM, then SIGKILL after the pod's grace; then the pod is gone. */
  private deletePod(pod: FakePod): void {
    if (pod.deleting) return;
    pod.deleting = true;
    const remove = () => this.later(10, () => this.pods.delete(pod.name));
    if (pod.terminated || pod.phase === "Pending") return remove();
    const onTerm = pod.script.onTerminate;
    if (onTerm) return this.print(pod, onTerm.lines, () => (this.terminate(pod, onTerm.exitCode), remove()));
    this.later(pod.grace * 1000, () => (this.terminate(pod, 137, "Error"), remove()));
  }

  private serveLog(res: ServerResponse, pod: FakePod, q: URLSearchParams): void {
    if (q.get("container") !== "trainer") this.problems.push(`log of container ${q.get("container")}`);
    if (pod.phase === "Pending")
      return status(res, 400, "BadRequest", `container "trainer" in pod "${pod.name}" is waiting to start: ContainerCreating`);
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.flushHeaders();
    pod.logConnections++;
    const since = q.get("sinceTime");
    const sinceMs = since ? Date.parse(since) : -Infinity;
    const firstOk = pod.lines.findIndex((l) => Date.parse(l.ts) >= sinceMs);
    const cut = pod.logConnections === 1 && pod.script.cutFirstLogAfter !== undefined ? pod.script.cutFirstLogAfter : Infinity;
    const f: Follower = {
      res,
      timestamps: q.get("timestamps") === "true",
      sent: 0,
      limit: cut,
      next: firstOk < 0 ? pod.lines.length : firstOk,
    };
    if (q.get("follow") === "true" && !pod.terminated) pod.followers.add(f);
    this.sendLines(pod, f);
    if (!pod.followers.has(f)) res.end();
  }

  private sendLines(pod: FakePod, f: Follower): void {
    while (f.next < pod.lines.length) {
      const l = pod.lines[f.next++] as { ts: string; text: string };
      const text = `${f.timestamps ? `${l.ts} ` : ""}${l.text}\n`;
      if (f.sent >= f.limit) {
        // The stream ends early, mid-line, while the container runs on.
        pod.followers.delete(f);
        f.res.end(text.slice(0, Math.ceil(text.length / 2)));
        return;
      }
      f.res.write(text);
      f.sent++;
    }
  }

  private jobView(job: FakeJob): unknown {
    const pods = this.podsOf(job.manifest.metadata.name);
    return {
      ...job.manifest,
      status: {
        active: pods.filter((p) => !p.terminated).length,
        ready: pods.filter((p) => p.phase === "Running").length,
        failed: job.failed,
        succeeded: job.succeeded,
        ...(job.conditions.length ? { conditions: job.conditions } : {}),
      },
    };
  }

  private podView(p: FakePod): unknown {
    const state = p.terminated
      ? { terminated: { exitCode: p.terminated.exitCode, reason: p.terminated.reason } }
      : p.phase === "Running"
        ? { running: { startedAt: p.created } }
        : { waiting: { reason: "ContainerCreating" } };
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: p.name,
        labels: p.labels,
        creationTimestamp: p.created,
        ...(p.deleting ? { deletionTimestamp: new Date().toISOString() } : {}),
      },
      status: {
        phase: p.phase,
        containerStatuses: [{ name: "trainer", ready: p.phase === "Running", restartCount: 0, image: "", imageID: "", state }],
      },
    };
  }
}

function json(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}
