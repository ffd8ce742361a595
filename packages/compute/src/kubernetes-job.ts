/**
 * The batch/v1 Job a run becomes, and how Job and pod status map back to a run's status and exit.
 * Pure functions: the Kubernetes API test double checks the manifest verbatim.
 */
import type { V1ContainerStateTerminated, V1Job, V1Pod, V1Service } from "@kubernetes/client-node";
import { artifactBinds, baseEnv, type ExitReason, type LaunchSpec, type RunExit, type RunStatus } from "./backend.js";
import { kubernetesResources, memoryQuantity } from "./resources.js";
import { signalFromExitCode } from "./outcome.js";

export const TRAINER_CONTAINER = "trainer";
export const RUN_ID_KEY = "trainyard.run-id";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "trainyard" } as const;

export interface JobManifestOptions {
  name: string;
  namespace: string;
  pvcName: string;
  graceSeconds: number;
  ttlSecondsAfterFinished: number;
  gpuResourceName: string;
  shmGiB: number;
  serviceAccountName?: string;
}

/** Rendezvous port of a multi-node run (torch.distributed's usual one). */
export const RENDEZVOUS_PORT = 29500;

/**
 * A multi-node run (`spec.nodes` > 1) is an Indexed Job of one pod per node behind a headless
 * Service named like the Job: pod i is `<name>-i.<name>`, so every pod finds rank 0's node at
 * `<name>-0.<name>.<namespace>.svc` (MASTER_ADDR) and its own node rank in JOB_COMPLETION_INDEX.
 */
export function multiNodeEnv(spec: LaunchSpec, o: { name: string; namespace: string }): Record<string, string> {
  if ((spec.nodes ?? 1) <= 1) return {};
  return { MASTER_ADDR: `${o.name}-0.${o.name}.${o.namespace}.svc`, MASTER_PORT: String(RENDEZVOUS_PORT) };
}

/** The headless Service of a multi-node run's pods (DNS names for the rendezvous), or null for one node. */
export function rendezvousService(spec: LaunchSpec, o: { name: string; namespace: string }): V1Service | null {
  if ((spec.nodes ?? 1) <= 1) return null;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.name, namespace: o.namespace, labels: { ...MANAGED_BY, [RUN_ID_KEY]: o.name } },
    spec: {
      clusterIP: "None",
      // Pods resolve each other before they are ready (the rendezvous is what makes them ready).
      publishNotReadyAddresses: true,
      selector: { [RUN_ID_KEY]: o.name },
      ports: [{ name: "rendezvous", port: RENDEZVOUS_PORT }],
    },
  };
}

export function kubernetesJobManifest(spec: LaunchSpec, o: JobManifestOptions): V1Job {
  // The label holds the DNS-safe name (label values are limited); the annotation the exact run id.
  const labels = { ...MANAGED_BY, [RUN_ID_KEY]: o.name };
  const env = { ...baseEnv(spec), ...spec.env, ...multiNodeEnv(spec, o) };
  const nodes = spec.nodes ?? 1;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: o.name, namespace: o.namespace, labels, annotations: { [RUN_ID_KEY]: spec.runId } },
    spec: {
      // Retries belong to the worker (it knows failure kinds); the Job runs the pod once by default.
      backoffLimit: spec.backoffLimit ?? 0,
      ...(spec.timeoutSeconds !== undefined ? { activeDeadlineSeconds: Math.ceil(spec.timeoutSeconds) } : {}),
      // Long enough for a restarted worker to read the outcome; then the cluster cleans up.
      ttlSecondsAfterFinished: o.ttlSecondsAfterFinished,
      ...(nodes > 1 ? { completionMode: "Indexed", completions: nodes, parallelism: nodes } : {}),
      template: {
        metadata: { labels },
        spec: {
          ...(nodes > 1 ? { subdomain: o.name } : {}),
          restartPolicy: "Never",
          terminationGracePeriodSeconds: Math.ceil(o.graceSeconds),
          // The trainer never talks to the API server.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
          containers: [
            {
              name: TRAINER_CONTAINER,
              image: spec.image,
              imagePullPolicy: "IfNotPresent",
              command: spec.command,
              ...(spec.workdir ? { workingDir: spec.workdir } : {}),
              env: Object.keys(env)
                .sort()
                .map((name) => ({ name, value: env[name] as string })),
              resources: kubernetesResources(spec.resources, o.gpuResourceName),
              volumeMounts: [
                // Only the run's own parts of the PVC (subPath), see LaunchSpec.mounts.
                ...artifactBinds(spec).map((b) => ({
                  name: "artifacts",
                  mountPath: b.target,
                  ...(b.subPath ? { subPath: b.subPath } : {}),
                  ...(b.readOnly ? { readOnly: true } : {}),
                })),
                { name: "dshm", mountPath: "/dev/shm" },
              ],
            },
          ],
          volumes: [
            { name: "artifacts", persistentVolumeClaim: { claimName: o.pvcName } },
            // A pod's /dev/shm is 64 MiB; PyTorch data loaders and NCCL need more.
            { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: memoryQuantity(o.shmGiB) } },
          ],
        },
      },
    },
  };
}

/** The Job's terminal condition, if it has one. (FailureTarget/SuccessCriteriaMet come before the pods are gone; wait for these.) */
export function jobFinished(job: V1Job): { type: "Complete" | "Failed"; reason?: string; message?: string } | null {
  for (const c of job.status?.conditions ?? []) {
    if (c.status === "True" && (c.type === "Complete" || c.type === "Failed")) {
      return { type: c.type, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
    }
  }
  return null;
}

/** The trainer container's termination, current or last. */
export function trainerTerminated(pod: V1Pod | null | undefined): V1ContainerStateTerminated | undefined {
  const cs = pod?.status?.containerStatuses?.find((c) => c.name === TRAINER_CONTAINER);
  return cs?.state?.terminated ?? cs?.lastState?.terminated;
}

/** Logs can be read once the container has started (running or already terminated). */
export function podStarted(pod: V1Pod): boolean {
  const cs = pod.status?.containerStatuses?.find((c) => c.name === TRAINER_CONTAINER);
  return Boolean(cs?.state?.running || cs?.state?.terminated) || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

export function runStatusOf(job: V1Job, pods: V1Pod[]): RunStatus {
  const fin = jobFinished(job);
  if (fin) return fin.type === "Complete" ? "succeeded" : "failed";
  if (pods.some((p) => p.status?.phase === "Running")) return "running";
  return "pending";
}

/** Pod-level failures that say the node, not the trainer, ended the run. */
const LOST_POD_REASONS = new Set([
  "Evicted",
  "Preempting",
  "NodeLost",
  "Terminated",
  "Shutdown",
  "NodeShutdown",
  "UnexpectedAdmissionError",
]);

export function runExitOf(args: { job: V1Job | null; pod: V1Pod | null; cancelled: boolean; jobGone: boolean }): RunExit {
  const { job, pod, cancelled, jobGone } = args;
  const term = trainerTerminated(pod);
  const fin = job ? jobFinished(job) : null;
  const exitCode = term ? term.exitCode : null;
  const podReason = pod?.status?.reason;
  let reason: ExitReason;
  if (cancelled) reason = "cancelled";
  else if (fin?.type === "Failed" && fin.reason === "DeadlineExceeded") reason = "timeout";
  else if (term?.reason === "OOMKilled") reason = "oom";
  else if (jobGone || (podReason && LOST_POD_REASONS.has(podReason))) reason = "lost";
  else reason = "exited";
  const exit: RunExit = { exitCode, reason };
  const signal = term?.signal ? signalFromExitCode(128 + term.signal) : signalFromExitCode(exitCode);
  if (signal) exit.signal = signal;
  const message = [
    fin?.type === "Failed" ? fin.reason : undefined,
    podReason,
    jobGone && !cancelled ? "the Job was deleted by someone else" : undefined,
  ]
    .filter((m): m is string => Boolean(m))
    .join("; ");
  if (message) exit.message = message;
  return exit;
}
