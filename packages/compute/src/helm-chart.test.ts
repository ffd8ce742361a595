/**
 * The Helm chart in infra/helm, rendered and validated without a cluster or the helm binary:
 * templates are rendered by tests/helpers/helm-render.ts (the subset of Go templates the chart
 * uses), and every object is checked against the Kubernetes models of @kubernetes/client-node
 * (the library the kubernetes backend talks to the API server with): an object must survive a
 * deserialize/serialize round trip through its kind's generated model unchanged, so a misspelt
 * or misplaced field, which the model drops, fails the test.
 */
import { fileURLToPath } from "node:url";
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import { describe, expect, it } from "vitest";
import { renderChart } from "../../../tests/helpers/helm-render.js";
import { kubernetesJobManifest } from "./kubernetes-job.js";

const chartDir = fileURLToPath(new URL("../../../infra/helm/trainyard", import.meta.url));
const MODELS: Record<string, string> = {
  "apps/v1/Deployment": "V1Deployment",
  "v1/Service": "V1Service",
  "v1/ConfigMap": "V1ConfigMap",
  "v1/ServiceAccount": "V1ServiceAccount",
  "v1/PersistentVolumeClaim": "V1PersistentVolumeClaim",
  "batch/v1/Job": "V1Job",
  "rbac.authorization.k8s.io/v1/Role": "V1Role",
  "rbac.authorization.k8s.io/v1/RoleBinding": "V1RoleBinding",
};

type Obj = Record<string, any>;
const render = (values: Record<string, unknown> = {}) =>
  renderChart(chartDir, { values, release: { name: "ty", namespace: "ml" } }) as Obj[];
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;
const strip = (o: Obj) => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === "__file" ? undefined : v))) as Obj;

describe("helm chart (infra/helm/trainyard)", () => {
  it("renders API, worker, migration Job, trainer Job template and artifact PVC, each a valid Kubernetes object", () => {
    const objs = render();
    for (const o of objs) {
      const model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(model, `${o.__file}: ${o.apiVersion} ${o.kind} is not a kind the chart should render`).toBeDefined();
      const clean = strip(o);
      const roundTrip = ObjectSerializer.serialize(ObjectSerializer.deserialize(clean, model!), model!) as Obj;
      expect(roundTrip, `${o.__file}: ${o.kind} ${o.metadata?.name}`).toEqual(clean);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        "ConfigMap/ty-config",
        "Deployment/ty-api",
        "Deployment/ty-worker",
        "Job/ty-migrate",
        "Job/ty-trainer-gpu-check",
        "PersistentVolumeClaim/trainyard-artifacts",
        "Role/ty-worker",
        "RoleBinding/ty-worker",
        "Service/ty-api",
        "ServiceAccount/ty-worker",
      ].sort(),
    );
    for (const d of objs.filter((o) => o.kind === "Deployment"))
      expect(d.spec.template.metadata.labels, d.metadata.name).toMatchObject(d.spec.selector.matchLabels);
  });

  it("wires the API and worker to the same config, database secret and artifact PVC; migrations run before both", () => {
    const objs = render();
    const api = find(objs, "Deployment", "ty-api").spec.template.spec;
    const worker = find(objs, "Deployment", "ty-worker").spec.template.spec;
    expect(api.containers[0].command).toEqual(["trainyard", "serve", "--api"]);
    expect(worker.containers[0].command).toEqual(["trainyard", "serve", "--worker"]);
    for (const pod of [api, worker]) {
      expect(pod.volumes).toContainEqual({ name: "artifacts", persistentVolumeClaim: { claimName: "trainyard-artifacts" } });
      expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: "ty-config" } }]);
      expect(pod.containers[0].env).toContainEqual({
        name: "DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "trainyard-database", key: "url" } },
      });
    }
    const config = find(objs, "ConfigMap", "ty-config").data;
    expect(config).toMatchObject({
      ARTIFACT_DIR: "/artifacts",
      K8S_ARTIFACT_PVC: "trainyard-artifacts",
      K8S_NAMESPACE: "trainyard-trainers",
    });
    // Every value in a ConfigMap must be a string (a bare number is refused by the API server).
    for (const v of Object.values(config)) expect(typeof v).toBe("string");
    const migrate = find(objs, "Job", "ty-migrate");
    expect(migrate.metadata.annotations["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
    expect(migrate.spec.template.spec.containers[0].command).toEqual(["trainyard", "migrate"]);
    const role = find(objs, "Role", "ty-worker");
    expect(role.metadata.namespace).toBe("trainyard-trainers");
    expect(find(objs, "RoleBinding", "ty-worker").subjects).toEqual([{ kind: "ServiceAccount", name: "ty-worker", namespace: "ml" }]);
  });

  it("the trainer Job template asks for GPUs and mounts the artifact PVC the way the kubernetes backend's Jobs do", () => {
    const job = find(render({ trainer: { template: { gpus: 2 } } }), "Job", "ty-trainer-gpu-check");
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources.limits["nvidia.com/gpu"]).toBe(2);
    expect(c.resources.requests["nvidia.com/gpu"]).toBe(2);
    const backend = kubernetesJobManifest(
      {
        runId: "r",
        image: "trainyard-trainer-cuda:0.1.0",
        command: ["python"],
        env: {},
        artifactDir: "/artifacts",
        resources: { gpus: 2, cpus: 8, memoryGiB: 64 },
      },
      {
        name: "ty-r",
        namespace: "trainyard-trainers",
        pvcName: "trainyard-artifacts",
        graceSeconds: 30,
        ttlSecondsAfterFinished: 3600,
        gpuResourceName: "nvidia.com/gpu",
        shmGiB: 8,
      },
    );
    const bpod = backend.spec!.template.spec!;
    // Same PVC, same GPU resource name and count, same pod hardening as the worker's trainer Jobs.
    expect(pod.volumes.find((v: Obj) => v.name === "artifacts")).toEqual(bpod.volumes!.find((v) => v.name === "artifacts"));
    expect(String(c.resources.limits["nvidia.com/gpu"])).toBe(String(bpod.containers[0]!.resources!.limits!["nvidia.com/gpu"]));
    expect(pod.restartPolicy).toBe(bpod.restartPolicy);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes.find((v: Obj) => v.name === "dshm").emptyDir.medium).toBe("Memory");
    expect(job.metadata.namespace).toBe("trainyard-trainers");
  });

  it("leaves out the migration Job and the PVC when the values say so", () => {
    const objs = render({ migrations: { enabled: false }, artifacts: { pvc: { create: false } } });
    expect(objs.some((o) => o.kind === "Job" && o.metadata.name === "ty-migrate")).toBe(false);
    expect(objs.some((o) => o.kind === "PersistentVolumeClaim")).toBe(false);
  });
});
