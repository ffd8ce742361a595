/**
 * The trainer in a Docker container, through the Engine API (dockerode).
 *
 * Order of a run: create (pull on "No such image") → start → follow logs + wait, in parallel →
 * inspect (OOMKilled, exit code) → remove. Removal comes last: the logs and the OOM flag live
 * with the container. A create that hits the run's own name (a worker retrying after a crash)
 * adopts that container instead of failing, so starting a run is idempotent.
 *
 * dockerode sends a POST's options as both query string and JSON body unless they are split into
 * `_query` and `_body` (docker-modem); every POST here splits them, so each request says exactly
 * one thing.
 */
import Docker from "dockerode";
import {
  artifactBinds,
  baseEnv,
  DEFAULT_GRACE_SECONDS,
  resourceName,
  validateLaunchSpec,
  type ComputeBackend,
  type LaunchSpec,
  type RunHandle,
} from "./backend.js";
import { DockerRun } from "./docker-run.js";
import { apiError, ComputeError, httpStatus } from "./errors.js";
import { dockerHostResources } from "./resources.js";

export const RUN_ID_LABEL = "trainyard.run-id";

export interface DockerBackendOptions {
  /** The Engine API client; default `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** Default grace period in seconds when the spec has none; default 10 (as `docker stop`). */
  graceSeconds?: number;
  /** When to pull the image: only on "No such image" (default), before every run, or never. */
  pull?: "missing" | "always" | "never";
  /** Size of /dev/shm in GiB; Docker's 64 MiB default breaks PyTorch data loaders and NCCL. Default 1. */
  shmGiB?: number;
  /** Keep the container after the run (debugging); default false. */
  keepContainer?: boolean;
  /** How long to let the log stream drain after the container stopped, in ms; default 5000. */
  logSettleMs?: number;
}

type Split = { _query: Record<string, string | number | boolean>; _body: Record<string, unknown> };

/** The JSON body of POST /containers/create for a spec (pure; the fake API checks it verbatim). */
export function dockerCreateBody(
  spec: LaunchSpec,
  options: Pick<DockerBackendOptions, "shmGiB" | "graceSeconds"> = {},
): Record<string, unknown> {
  const env = { ...baseEnv(spec), ...spec.env };
  const grace = spec.graceSeconds ?? options.graceSeconds ?? DEFAULT_GRACE_SECONDS.docker;
  const res = dockerHostResources(spec.resources);
  const [entry, ...args] = spec.command;
  return {
    Image: spec.image,
    // The argv replaces the image's ENTRYPOINT, as `command` does on Kubernetes: one meaning everywhere.
    Entrypoint: [entry],
    Cmd: args,
    Env: Object.keys(env)
      .sort()
      .map((k) => `${k}=${env[k]}`),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    Labels: { [RUN_ID_LABEL]: spec.runId },
    Tty: false, // keeps stdout and stderr apart in the multiplexed log stream
    OpenStdin: false,
    StopSignal: "SIGTERM",
    StopTimeout: Math.ceil(grace),
    HostConfig: {
      // Only the run's own parts of the artifact store (see LaunchSpec.mounts).
      Mounts: artifactBinds(spec).map((b) => ({ Type: "bind", Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
      NanoCpus: res.NanoCpus,
      Memory: res.Memory,
      // No swap: past the limit the kernel kills (OOMKilled, reported) instead of thrashing for hours.
      MemorySwap: res.Memory,
      ...(res.DeviceRequests.length > 0 ? { DeviceRequests: res.DeviceRequests } : {}),
      ShmSize: Math.round((options.shmGiB ?? 1) * 1024 ** 3),
      // tini as PID 1: forwards SIGTERM to the trainer and reaps its orphans.
      Init: true,
      AutoRemove: false,
      RestartPolicy: { Name: "no" },
    },
  };
}

/** `repo[:tag]` or `repo@digest` → the query of POST /images/create (an empty tag pulls every tag). */
export function imagePullQuery(image: string): { fromImage: string; tag: string } {
  const at = image.indexOf("@");
  if (at >= 0) return { fromImage: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(":");
  if (colon > image.lastIndexOf("/")) return { fromImage: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { fromImage: image, tag: "latest" };
}

export class DockerBackend implements ComputeBackend {
  readonly name = "docker" as const;
  private readonly docker: Docker;

  constructor(private readonly options: DockerBackendOptions = {}) {
    this.docker = options.docker ?? new Docker();
  }

  async start(spec: LaunchSpec): Promise<RunHandle> {
    validateLaunchSpec(spec, "docker");
    const name = resourceName(spec.runId);
    const body = dockerCreateBody(spec, this.options);
    const image = spec.image as string;
    if (this.options.pull === "always") await this.pull(image);

    let container: Docker.Container;
    let adopted: Docker.ContainerInspectInfo | null = null;
    try {
      container = await this.create(name, body, image);
    } catch (e) {
      if (httpStatus(e) !== 409) throw apiError(`docker: create container ${name}`, e);
      adopted = await this.adopt(name, spec.runId);
      container = this.docker.getContainer(adopted.Id);
    }

    try {
      if (!adopted || adopted.State.Status === "created") {
        try {
          await container.start(); // no options: dockerode then sends neither query nor body
        } catch (e) {
          if (httpStatus(e) !== 304) throw e; // 304: already started (adopted)
        }
      }
      const logs = (await container.logs({ follow: true, stdout: true, stderr: true, timestamps: false })) as NodeJS.ReadableStream;
      const graceSeconds = spec.graceSeconds ?? this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS.docker;
      return new DockerRun(container, logs, spec, {
        graceMs: graceSeconds * 1000,
        keepContainer: this.options.keepContainer ?? false,
        logSettleMs: this.options.logSettleMs ?? 5000,
      });
    } catch (e) {
      // Never leave a created-but-unusable container behind: a retry would adopt it.
      if (!adopted && !this.options.keepContainer) await container.remove({ force: true, v: true }).catch(() => undefined);
      throw apiError(`docker: start container ${name}`, e);
    }
  }

  private async create(name: string, body: Record<string, unknown>, image: string): Promise<Docker.Container> {
    const req = (): Promise<Docker.Container> =>
      this.docker.createContainer({ _query: { name }, _body: body } satisfies Split as unknown as Docker.ContainerCreateOptions);
    try {
      return await req();
    } catch (e) {
      if (httpStatus(e) !== 404 || this.options.pull === "never") throw e;
    }
    await this.pull(image);
    return req();
  }

  /** Pull an image; the daemon reports failures inside a 200 progress stream as `{"error": ...}`. */
  private async pull(image: string): Promise<void> {
    let text = "";
    try {
      const stream = (await this.docker.createImage({
        _query: imagePullQuery(image),
        _body: {},
      } satisfies Split as never)) as NodeJS.ReadableStream;
      for await (const chunk of stream) text += chunk.toString();
    } catch (e) {
      if (httpStatus(e) === 404) throw new ComputeError("TY_ERR_COMPUTE_IMAGE_NOT_FOUND", `docker: image ${image} not found`, { cause: e });
      throw apiError(`docker: pull ${image}`, e);
    }
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let msg: { error?: string } = {};
      try {
        msg = JSON.parse(line) as { error?: string };
      } catch {
        continue;
      }
      if (msg.error) {
        const notFound = /not found|manifest unknown|denied|does not exist|repository .* not/i.test(msg.error);
        throw new ComputeError(notFound ? "TY_ERR_COMPUTE_IMAGE_NOT_FOUND" : "TY_ERR_COMPUTE_API", `docker: pull ${image}: ${msg.error}`);
      }
    }
  }

  /** The name is taken: it is ours to resume only if it carries this run's id. */
  private async adopt(name: string, runId: string): Promise<Docker.ContainerInspectInfo> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (e) {
      throw apiError(`docker: inspect existing container ${name}`, e);
    }
    if (info.Config.Labels?.[RUN_ID_LABEL] !== runId) {
      throw new ComputeError(
        "TY_ERR_COMPUTE_CONFLICT",
        `docker: container ${name} exists and belongs to run '${info.Config.Labels?.[RUN_ID_LABEL] ?? "?"}'`,
      );
    }
    return info;
  }
}
