/**
 * A two-node run on the kubernetes backend against FakeKubernetesApi (a test double of the
 * Kubernetes API server: no cluster in CI): an Indexed Job of one pod per node, a headless Service
 * owned by the Job for the rendezvous, rank 0's events read back as for one node.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { KubernetesBackend, type LaunchSpec } from "./index.js";
import { collect } from "../test/collect.js";
import { FakeKubernetesApi } from "../test/fake-kubernetes-api.js";

let fake: FakeKubernetesApi;
beforeEach(async () => {
  fake = await FakeKubernetesApi.start();
});
afterEach(async () => {
  await fake.close();
});

const spec: LaunchSpec = {
  runId: "run-2n",
  image: "ghcr.io/trainyard/trainer:1.2",
  command: ["python", "-m", "trainyard_trainer", "sft", "--config", "/artifacts/run-2n/config.json"],
  env: {},
  artifactDir: "/artifacts",
  resources: { gpus: 4, cpus: 32, memoryGiB: 256 },
  nodes: 2,
};

it("creates an Indexed Job and its headless rendezvous Service (owned by the Job), then reads rank 0's events", async () => {
  fake.nextPods = [{ lines: ['{"type":"status","state":"training"}', '{"type":"done","step":3,"result":{}}'], exitCode: 0 }];
  const backend = new KubernetesBackend({ kubeConfig: fake.kubeConfig(), pvcName: "art", pollMs: 20, logSettleMs: 200 });
  const h = await backend.start(spec);
  const c = collect(h);
  const exit = await h.wait();
  await c.done;
  expect(exit).toEqual({ exitCode: 0, reason: "exited" });
  expect(c.events.filter((e) => e.type !== "line")).toEqual([
    { type: "status", state: "training" },
    { type: "done", step: 3, result: {} },
  ]);
  expect(fake.problems).toEqual([]);

  const job = fake.jobs.get("trainyard/ty-run-2n")!.manifest;
  expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 2, parallelism: 2 });
  expect(job.spec.template.spec.subdomain).toBe("ty-run-2n");
  const env = Object.fromEntries(
    (job.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );
  expect(env).toMatchObject({ MASTER_ADDR: "ty-run-2n-0.ty-run-2n.trainyard.svc", MASTER_PORT: "29500" });

  const svc = fake.services.get("trainyard/ty-run-2n")!;
  expect(svc.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true, selector: { "trainyard.run-id": "ty-run-2n" } });
  expect(svc.metadata.ownerReferences).toEqual([{ apiVersion: "batch/v1", kind: "Job", name: "ty-run-2n", uid: job.metadata.uid }]);
  // The Service is created after the Job (it needs the Job's uid to be owned by it).
  const paths = fake.requests.filter((r) => r.method === "POST").map((r) => r.path);
  expect(paths).toEqual(["/apis/batch/v1/namespaces/trainyard/jobs", "/api/v1/namespaces/trainyard/services"]);
});

it("a one-node run creates no Service", async () => {
  fake.nextPods = [{ lines: ['{"type":"done","step":1,"result":{}}'], exitCode: 0 }];
  const backend = new KubernetesBackend({ kubeConfig: fake.kubeConfig(), pvcName: "art", pollMs: 20, logSettleMs: 200 });
  const h = await backend.start({ ...spec, nodes: 1 });
  await h.wait();
  expect(fake.services.size).toBe(0);
  expect(fake.jobs.get("trainyard/ty-run-2n")!.manifest.spec.completionMode).toBeUndefined();
});
