/**
 * The kubernetes backend against FakeKubernetesApi, a test double of the Kubernetes API server
 * (no cluster in CI), reached by the real @kubernetes/client-node through a KubeConfig.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { KubernetesBackend, RunTally, runOutcome, type LaunchSpec, type RunHandle } from "./index.js";
import { collect } from "../test/collect.js";
import { FakeKubernetesApi } from "../test/fake-kubernetes-api.js";

const IMAGE = "ghcr.io/trainyard/trainer:1.2";
const ckpt = `{"type":"checkpoint","step":7,"path":"/artifacts/ckpt-7","sha256":"${"ab".repeat(32)}"}`;

const spec = (over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  runId: "run-1",
  image: IMAGE,
  command: ["python", "-m", "trainyard_trainer", "grpo", "--config", "/artifacts/run-1/config.json"],
  env: { HF_HOME: "/artifacts/hf" },
  artifactDir: "/artifacts",
  resources: { gpus: 1, cpus: 8, memoryGiB: 32 },
  ...over,
});

let fake: FakeKubernetesApi;
let backend: KubernetesBackend;
const handles: RunHandle[] = [];
beforeEach(async () => {
  fake = await FakeKubernetesApi.start();
  backend = new KubernetesBackend({ kubeConfig: fake.kubeConfig(), pvcName: "trainyard-artifacts", pollMs: 20, logSettleMs: 300 });
});
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.cancel(0).catch(() => undefined)));
  await fake.close();
});
async function start(s: LaunchSpec, b = backend): Promise<RunHandle> {
  const h = await b.start(s);
  handles.push(h);
  return h;
}
const JOBS = "/apis/batch/v1/namespaces/trainyard/jobs";

describe("KubernetesBackend", () => {
  it("creates the Job, follows its pod's log, and reports success: the exact requests", async () => {
    fake.nextPods = [
      {
        lines: [
          '{"type":"status","state":"training"}',
          '{"type":"metrics","step":1,"max_steps":1,"values":{"loss":0.5}}',
          "plain log",
          '{"type":"done","step":1,"result":{}}',
        ],
        exitCode: 0,
      },
    ];
    const h = await start(
      spec({
        nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        timeoutSeconds: 3600.5,
        workdir: "/work",
      }),
    );
    expect(h.id).toBe("trainyard/ty-run-1");
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toEqual({ exitCode: 0, reason: "exited" });
    expect(c.events).toEqual([
      { type: "status", state: "training" },
      { type: "metrics", step: 1, max_steps: 1, values: { loss: 0.5 } },
      { type: "line", stream: "stdout", line: "plain log" },
      { type: "done", step: 1, result: {} },
    ]);

    expect(fake.requests[0]).toMatchObject({ method: "POST", path: JOBS, query: {} });
    const labels = { "app.kubernetes.io/managed-by": "trainyard", "trainyard.run-id": "ty-run-1" };
    expect(fake.requests[0]?.body).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "ty-run-1", namespace: "trainyard", labels, annotations: { "trainyard.run-id": "run-1" } },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 3601,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            terminationGracePeriodSeconds: 30,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3" },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
            containers: [
              {
                name: "trainer",
                image: IMAGE,
                imagePullPolicy: "IfNotPresent",
                command: ["python", "-m", "trainyard_trainer", "grpo", "--config", "/artifacts/run-1/config.json"],
                workingDir: "/work",
                env: [
                  { name: "HF_HOME", value: "/artifacts/hf" },
                  { name: "PYTHONUNBUFFERED", value: "1" },
                  { name: "TRAINYARD_ARTIFACT_DIR", value: "/artifacts" },
                  { name: "TRAINYARD_RUN_ID", value: "run-1" },
                ],
                resources: {
                  requests: { cpu: "8", memory: "32768Mi", "nvidia.com/gpu": "1" },
                  limits: { memory: "32768Mi", "nvidia.com/gpu": "1" },
                },
                volumeMounts: [
                  { name: "artifacts", mountPath: "/artifacts" },
                  { name: "dshm", mountPath: "/dev/shm" },
                ],
              },
            ],
            volumes: [
              { name: "artifacts", persistentVolumeClaim: { claimName: "trainyard-artifacts" } },
              { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1024Mi" } },
            ],
          },
        },
      },
    });

    const pod = fake.requests.find((r) => r.path.endsWith("/log"))?.path.split("/")[6];
    expect(pod).toMatch(/^ty-run-1-[0-9a-f]{5}$/);
    const lines = new Set(fake.lines());
    expect(lines).toContain(`GET ${JOBS}/ty-run-1`);
    expect(lines).toContain("GET /api/v1/namespaces/trainyard/pods?labelSelector=job-name%3Dty-run-1");
    // `pretty` mirrors `follow` in client-node 1.3.0's Log helper; the API server ignores it for logs.
    expect(fake.requests.find((r) => r.path.endsWith("/log"))?.query).toEqual({
      container: "trainer",
      follow: "true",
      pretty: "true",
      previous: "false",
      timestamps: "true",
    });
    expect(fake.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(fake.problems).toEqual([]);
    expect(h.resources()).toEqual({ gpus: 1, cpus: 8, memoryGiB: 32, enforced: true });
    expect(await h.status()).toBe("succeeded");
  });

  it("reports an OOMKilled trainer as oom", async () => {
    fake.nextPods = [{ lines: ["loading"], exitCode: 137, reason: "OOMKilled" }];
    const h = await start(spec());
    const exit = await h.wait();
    expect(exit).toEqual({ exitCode: 137, signal: "SIGKILL", reason: "oom", message: "BackoffLimitExceeded" });
    expect(runOutcome(exit, new RunTally())).toMatchObject({ failureKind: "infra_error", code: "TY_ERR_COMPUTE_OOM" });
  });

  it("follows every pod of a Job that retries, and reports BackoffLimitExceeded as an exit", async () => {
    fake.nextPods = [
      { lines: ["attempt 1"], exitCode: 2 },
      { lines: ["attempt 2"], exitCode: 3 },
    ];
    const h = await start(spec({ backoffLimit: 1 }));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(c.events).toEqual([
      { type: "line", stream: "stdout", line: "attempt 1" },
      { type: "line", stream: "stdout", line: "attempt 2" },
    ]);
    expect(exit).toEqual({ exitCode: 3, reason: "exited", message: "BackoffLimitExceeded" });
    expect(runOutcome(exit, new RunTally())).toMatchObject({ failureKind: "crashed", code: "TY_ERR_COMPUTE_CRASHED" });
    expect((fake.requests[0]?.body as { spec: { backoffLimit: number } }).spec.backoffLimit).toBe(1);
  });

  it("maps DeadlineExceeded to timeout", async () => {
    fake.nextPods = [{ lines: ["working"] }];
    const h = await start(spec({ timeoutSeconds: 1 }));
    const exit = await h.wait();
    expect(exit).toEqual({ exitCode: 143, signal: "SIGTERM", reason: "timeout", message: "DeadlineExceeded" });
    expect(runOutcome(exit, new RunTally())).toMatchObject({ failureKind: "timed_out" });
  });

  it("cancel deletes the Job in the background; a trainer handling SIGTERM checkpoints within the grace", async () => {
    fake.nextPods = [{ lines: ['{"type":"status","state":"training"}'], onTerminate: { lines: [ckpt], exitCode: 0 } }];
    const h = await start(spec());
    const c = collect(h);
    await c.until((e) => e.type === "status");
    expect(await h.status()).toBe("running");
    const t0 = Date.now();
    await h.cancel();
    expect(Date.now() - t0).toBeLessThan(10_000);
    await c.done;
    expect(c.events).toContainEqual({ type: "checkpoint", step: 7, path: "/artifacts/ckpt-7", sha256: "ab".repeat(32) });
    const exit = await h.wait();
    expect(exit.reason).toBe("cancelled");
    // Best effort: a deleted pod may vanish before its final status is read.
    expect([0, null]).toContain(exit.exitCode);
    expect(fake.lines().filter((l) => l.startsWith("DELETE"))).toEqual([`DELETE ${JOBS}/ty-run-1?propagationPolicy=Background`]);
    expect(fake.problems).toEqual([]);
  });

  it("cancel force-deletes a pod that outlives the grace period", async () => {
    fake.nextPods = [{ lines: ["ready"] }]; // ignores SIGTERM; the pod's own grace is 30 s
    const h = await start(spec());
    const c = collect(h);
    await c.until((e) => e.type === "line" && e.line === "ready");
    const t0 = Date.now();
    await h.cancel(500);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(10_000);
    const deletes = fake.lines().filter((l) => l.startsWith("DELETE"));
    expect(deletes[0]).toBe(`DELETE ${JOBS}/ty-run-1?propagationPolicy=Background`);
    expect(deletes[1]).toMatch(/^DELETE \/api\/v1\/namespaces\/trainyard\/pods\/ty-run-1-[0-9a-f]{5}\?gracePeriodSeconds=0$/);
    expect((await h.wait()).reason).toBe("cancelled");
    expect(fake.podsOf("ty-run-1")).toEqual([]);
  });

  it("re-opens a log stream that ended early, mid-line, without losing or repeating a line", async () => {
    const printed = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    fake.nextPods = [{ lines: printed, exitCode: 0, cutFirstLogAfter: 3, lineIntervalMs: 15 }];
    const h = await start(spec());
    const c = collect(h);
    await h.wait();
    await c.done;
    expect(c.events.map((e) => (e.type === "line" ? e.line : e.type))).toEqual(printed);
    const logs = fake.requests.filter((r) => r.path.endsWith("/log"));
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs[1]?.query.sinceTime).toBe("2026-01-01T00:00:00Z");
  });

  it("adopts its own Job after a worker restart, and refuses another run's", async () => {
    fake.nextPods = [{ lines: ["ready"], onTerminate: { lines: [], exitCode: 0 } }];
    const first = await start(spec());
    const again = await start(spec(), new KubernetesBackend({ kubeConfig: fake.kubeConfig(), pvcName: "trainyard-artifacts", pollMs: 20 }));
    const c = collect(again);
    await c.until((e) => e.type === "line" && e.line === "ready");
    expect(fake.lines().slice(-20)).toContain(`GET ${JOBS}/ty-run-1`);
    expect(fake.jobs.size).toBe(1);
    await first.cancel();

    const batch = fake.kubeConfig().makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: "trainyard",
      body: {
        metadata: { name: "ty-run-2", annotations: { "trainyard.run-id": "someone-else" } },
        spec: { template: { spec: { restartPolicy: "Never", containers: [] } } },
      },
    });
    await expect(backend.start(spec({ runId: "run-2" }))).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_CONFLICT" });
  });

  it("reports pending, then running, while the pod starts", async () => {
    fake.nextPods = [{ lines: ["ready"], pendingMs: 300, onTerminate: { lines: [], exitCode: 0 } }];
    const h = await start(spec());
    expect(await h.status()).toBe("pending");
    const c = collect(h);
    await c.until((e) => e.type === "line" && e.line === "ready");
    expect(await h.status()).toBe("running");
  });

  it("refuses a spec without a PVC or an image before calling the API", async () => {
    const noPvc = new KubernetesBackend({ kubeConfig: fake.kubeConfig() });
    await expect(noPvc.start(spec())).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_INVALID_SPEC" });
    await expect(backend.start(spec({ image: undefined }))).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_INVALID_SPEC" });
    expect(fake.requests).toEqual([]);
  });

  it("says the API server is unavailable when nothing listens", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    await expect(new KubernetesBackend({ kubeConfig: kc, pvcName: "p" }).start(spec())).rejects.toMatchObject({
      code: "TY_ERR_COMPUTE_UNAVAILABLE",
    });
  });
});
