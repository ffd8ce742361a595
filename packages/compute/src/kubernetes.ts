/**
 * The trainer as a Kubernetes batch/v1 Job (@kubernetes/client-node, promise API).
 *
 * A run: create the Job (adopting it when it already exists with this run id, so a restarted
 * worker resumes instead of failing) → poll the Job and its pods (`job-name` label) → follow each
 * started pod's log to its end → map the Job's terminal condition and the pod's termination to an
 * exit. Cancel deletes the Job with propagationPolicy Background: the pods get SIGTERM and their
 * terminationGracePeriodSeconds; pods still there after the grace are deleted with grace 0.
 *
 * Kubernetes enforces the deadline itself (activeDeadlineSeconds → DeadlineExceeded), so unlike
 * the other backends no local timer runs. A cancelled run's exit code is best effort: the deleted
 * pod may vanish before its final status is read (then it is null).
 */
import { BatchV1Api, CoreV1Api, KubeConfig, Log, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DEFAULT_GRACE_SECONDS,
  resourceName,
  validateLaunchSpec,
  type ComputeBackend,
  type EffectiveResources,
  type LaunchSpec,
  type RunEvent,
  type RunExit,
  type RunHandle,
  type RunStatus,
} from "./backend.js";
import { apiError, ComputeError, httpStatus } from "./errors.js";
import { jobFinished, kubernetesJobManifest, podStarted, rendezvousService, RUN_ID_KEY, runExitOf, runStatusOf } from "./kubernetes-job.js";
import { followPodLog } from "./kubernetes-logs.js";
import { EventQueue, toRunEvent } from "./lines.js";

export interface KubernetesBackendOptions {
  /** Default: `loadFromDefault()` (KUBECONFIG, ~/.kube/config, or the in-cluster service account). */
  kubeConfig?: KubeConfig;
  /** Default namespace; else the kubeconfig context's, else `default`. */
  namespace?: string;
  /** Default PVC holding the artifact store (a spec's `pvcName` wins). */
  pvcName?: string;
  /** Default grace period (terminationGracePeriodSeconds), seconds; default 30. */
  graceSeconds?: number;
  /** Seconds a finished Job is kept before the cluster deletes it; default 3600. */
  ttlSecondsAfterFinished?: number;
  /** Extended resource name for GPUs; default `nvidia.com/gpu`. */
  gpuResourceName?: string;
  /** Size of the memory-backed /dev/shm in GiB; default 1. */
  shmGiB?: number;
  serviceAccountName?: string;
  /** Interval between Job/pod reads, ms; default 2000. */
  pollMs?: number;
  /** How long a log stream may stay open after its container stopped before it is re-opened, ms; default 5000. */
  logSettleMs?: number;
}

interface Api {
  batch: BatchV1Api;
  core: CoreV1Api;
  log: Log;
}

export class KubernetesBackend implements ComputeBackend {
  readonly name = "kubernetes" as const;
  private readonly kc: KubeConfig;
  private readonly api: Api;

  constructor(private readonly options: KubernetesBackendOptions = {}) {
    this.kc = options.kubeConfig ?? defaultKubeConfig();
    this.api = { batch: this.kc.makeApiClient(BatchV1Api), core: this.kc.makeApiClient(CoreV1Api), log: new Log(this.kc) };
  }

  async start(spec: LaunchSpec): Promise<RunHandle> {
    validateLaunchSpec(spec, "kubernetes");
    const pvcName = spec.pvcName ?? this.options.pvcName;
    if (!pvcName) throw new ComputeError("TY_ERR_COMPUTE_INVALID_SPEC", "kubernetes: pvcName is required (the artifact store's PVC)");
    const namespace =
      spec.namespace ?? this.options.namespace ?? this.kc.getContextObject(this.kc.getCurrentContext())?.namespace ?? "default";
    const name = resourceName(spec.runId);
    const graceSeconds = spec.graceSeconds ?? this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS.kubernetes;
    const body = kubernetesJobManifest(spec, {
      name,
      namespace,
      pvcName,
      graceSeconds,
      ttlSecondsAfterFinished: this.options.ttlSecondsAfterFinished ?? 3600,
      gpuResourceName: this.options.gpuResourceName ?? "nvidia.com/gpu",
      shmGiB: this.options.shmGiB ?? 1,
      ...(this.options.serviceAccountName ? { serviceAccountName: this.options.serviceAccountName } : {}),
    });
    let created: V1Job | undefined;
    try {
      created = await this.api.batch.createNamespacedJob({ namespace, body });
    } catch (e) {
      if (httpStatus(e) !== 409) throw apiError(`kubernetes: create Job ${namespace}/${name}`, e);
      let existing: V1Job;
      try {
        existing = await this.api.batch.readNamespacedJob({ name, namespace });
      } catch (e2) {
        throw apiError(`kubernetes: read existing Job ${namespace}/${name}`, e2);
      }
      const owner = existing.metadata?.annotations?.[RUN_ID_KEY];
      if (owner !== spec.runId)
        throw new ComputeError(
          "TY_ERR_COMPUTE_CONFLICT",
          `kubernetes: Job ${namespace}/${name} exists and belongs to run '${owner ?? "?"}'`,
        );
    }
    // Multi-node: the headless Service for the rendezvous, owned by the Job (deleted with it).
    // The pods retry resolving rank 0 until it exists.
    const service = rendezvousService(spec, { name, namespace });
    if (service && created?.metadata?.uid) {
      service.metadata!.ownerReferences = [{ apiVersion: "batch/v1", kind: "Job", name, uid: created.metadata.uid }];
      await this.api.core.createNamespacedService({ namespace, body: service }).catch((e: unknown) => {
        if (httpStatus(e) !== 409) throw apiError(`kubernetes: create Service ${namespace}/${name}`, e);
      });
    }
    return new KubernetesRun(this.api, namespace, name, spec, {
      graceMs: graceSeconds * 1000,
      pollMs: this.options.pollMs ?? 2000,
      settleMs: this.options.logSettleMs ?? 5000,
    });
  }
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

class KubernetesRun implements RunHandle {
  readonly id: string;
  private readonly queue = new EventQueue<RunEvent>();
  private readonly finished: Promise<RunExit>;
  private final: RunExit | null = null;
  private job: V1Job | null = null;
  private cancelRequested = false;
  private cancelling: Promise<void> | null = null;

  constructor(
    private readonly api: Api,
    private readonly namespace: string,
    private readonly name: string,
    private readonly spec: LaunchSpec,
    private readonly opts: { graceMs: number; pollMs: number; settleMs: number },
  ) {
    this.id = `${namespace}/${name}`;
    // wait() never rejects: an unexpected failure of the watch is a lost run.
    this.finished = this.watch()
      .catch((e: unknown): RunExit => {
        this.queue.end(apiError(`kubernetes: watch Job ${this.id}`, e));
        return { exitCode: null, reason: "lost", message: String((e as Error)?.message ?? e) };
      })
      .then((exit) => (this.final = exit));
  }

  events(): AsyncIterable<RunEvent> {
    return this.queue.iterable();
  }

  async cancel(graceMs = this.opts.graceMs): Promise<void> {
    if (this.final) return;
    if (!this.job || !jobFinished(this.job)) this.cancelRequested = true;
    this.cancelling ??= this.deleteJob(graceMs);
    await this.cancelling;
    await this.finished;
  }

  wait(): Promise<RunExit> {
    return this.finished;
  }

  async status(): Promise<RunStatus> {
    if (this.final) return this.final.reason === "exited" && this.final.exitCode === 0 ? "succeeded" : "failed";
    try {
      const job = await this.api.batch.readNamespacedJob({ name: this.name, namespace: this.namespace });
      return runStatusOf(job, await this.listPods());
    } catch {
      return "unknown";
    }
  }

  resources(): EffectiveResources {
    return { ...this.spec.resources, enforced: true };
  }

  private async deleteJob(graceMs: number): Promise<void> {
    try {
      await this.api.batch.deleteNamespacedJob({ name: this.name, namespace: this.namespace, propagationPolicy: "Background" });
    } catch (e) {
      if (httpStatus(e) !== 404) throw apiError(`kubernetes: delete Job ${this.id}`, e);
    }
    // The kubelet enforces the pod's own grace; this enforces the one cancel was given.
    const timer = sleep(graceMs, "grace");
    if ((await Promise.race([this.finished, timer])) !== "grace") return;
    for (const pod of await this.listPods().catch(() => [])) {
      const name = pod.metadata?.name;
      if (!name) continue;
      await this.api.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 }).catch((e: unknown) => {
        if (httpStatus(e) !== 404) throw apiError(`kubernetes: force-delete pod ${name}`, e);
      });
    }
  }

  private async listPods(): Promise<V1Pod[]> {
    const list = await this.api.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `job-name=${this.name}` });
    const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
    return [...list.items].sort((a, b) => created(a) - created(b));
  }

  /** Poll the Job and its pods, follow each started pod's log, until the Job is over and read. */
  private async watch(): Promise<RunExit> {
    const followed = new Set<string>();
    let lastPod: V1Pod | null = null;
    let jobGone = false;
    let logError: unknown;
    let failures = 0;
    let lastPass = false;
    const deps = {
      core: this.api.core,
      log: this.api.log,
      namespace: this.namespace,
      pollMs: this.opts.pollMs,
      settleMs: this.opts.settleMs,
      emit: (line: string) => this.queue.push(toRunEvent("stdout", line)),
    };
    for (;;) {
      let pods: V1Pod[];
      try {
        try {
          this.job = await this.api.batch.readNamespacedJob({ name: this.name, namespace: this.namespace });
        } catch (e) {
          if (httpStatus(e) !== 404) throw e;
          jobGone = true;
        }
        pods = await this.listPods();
        failures = 0;
      } catch (e) {
        if (++failures > 10) {
          this.queue.end(apiError(`kubernetes: watch Job ${this.id}`, e));
          return { exitCode: null, reason: "lost", message: `the API server kept failing: ${(e as Error).message}` };
        }
        await sleep(this.opts.pollMs * Math.min(8, 2 ** failures));
        continue;
      }
      for (const pod of pods) {
        const podName = pod.metadata?.name;
        if (!podName || followed.has(podName) || !podStarted(pod)) continue;
        try {
          lastPod = (await followPodLog(deps, podName)) ?? pod;
        } catch (e) {
          logError ??= e;
          lastPod = pod;
        }
        followed.add(podName);
      }
      // The terminal condition comes after the pods terminated; one more pass catches a pod that
      // started between our list and the condition.
      if (jobGone || (this.job && jobFinished(this.job))) {
        if (lastPass) break;
        lastPass = true;
        continue;
      }
      await sleep(this.opts.pollMs);
    }
    const exit = runExitOf({
      job: this.job,
      pod: lastPod,
      cancelled: this.cancelRequested,
      jobGone: jobGone && !(this.job && jobFinished(this.job)),
    });
    this.queue.end(logError ? apiError(`kubernetes: pod log of ${this.id}`, logError) : undefined);
    return exit;
  }
}
