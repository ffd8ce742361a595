/**
 * The docker backend against FakeDockerApi, a test double of the Docker Engine API (no daemon in
 * CI): exact requests, multiplexed logs cut mid-frame, OOM, cancel, pull, adoption.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import Docker from "dockerode";
import { DockerBackend, RunTally, runOutcome, type LaunchSpec, type RunHandle } from "./index.js";
import { collect } from "../test/collect.js";
import { FakeDockerApi } from "../test/fake-docker-api.js";

const IMAGE = "ghcr.io/trainyard/trainer:1.2";
const ckpt = `{"type":"checkpoint","step":7,"path":"/artifacts/ckpt-7","sha256":"${"ab".repeat(32)}"}\n`;

const spec = (over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  runId: "run-1",
  image: IMAGE,
  command: ["python", "-m", "trainyard_trainer", "sft", "--config", "/artifacts/run-1/config.json"],
  env: { HF_HOME: "/artifacts/hf" },
  workdir: "/work",
  artifactDir: "/srv/trainyard/artifacts",
  artifactMountPath: "/artifacts",
  resources: { gpus: 2, cpus: 4.5, memoryGiB: 16 },
  ...over,
});

let fake: FakeDockerApi;
let backend: DockerBackend;
const handles: RunHandle[] = [];
beforeEach(async () => {
  fake = await FakeDockerApi.start();
  fake.images.add(IMAGE);
  backend = new DockerBackend({ docker: fake.client(), logSettleMs: 2000 });
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

describe("DockerBackend", () => {
  it("creates, starts, follows logs, waits, inspects and removes: the exact requests", async () => {
    fake.nextScript = {
      output: [
        { stream: "stdout", data: '{"type":"status","state":"training"}\n{"type":"metrics","step":1,' },
        { stream: "stderr", data: "warn: slow disk\n" },
        { stream: "stdout", data: '"max_steps":2,"values":{"loss":0.5}}\n' },
        { stream: "stdout", data: '{"type":"done","step":2,"result":{}}\nno newline at the end' },
      ],
      exitCode: 0,
    };
    const h = await start(spec({ graceSeconds: 15 }));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toEqual({ exitCode: 0, reason: "exited" });
    expect(c.events).toEqual([
      { type: "status", state: "training" },
      { type: "line", stream: "stderr", line: "warn: slow disk" },
      { type: "metrics", step: 1, max_steps: 2, values: { loss: 0.5 } },
      { type: "done", step: 2, result: {} },
      { type: "line", stream: "stdout", line: "no newline at the end" },
    ]);

    const id = h.id;
    const lines = fake.lines();
    expect(lines.slice(0, 2)).toEqual(["POST /containers/create?name=ty-run-1", `POST /containers/${id}/start`]);
    // Logs and wait go out together; their order is not fixed.
    expect(lines.slice(2, 4).sort()).toEqual(
      [`GET /containers/${id}/logs?follow=true&stdout=true&stderr=true&timestamps=false`, `POST /containers/${id}/wait`].sort(),
    );
    expect(lines.slice(4)).toEqual([`GET /containers/${id}/json`, `DELETE /containers/${id}?v=true`]);
    expect(fake.requests.every((r) => r.version === "v1.43")).toBe(true);
    expect(fake.requests.filter((r) => r.path !== "/containers/create").map((r) => r.body)).toEqual([null, null, null, null, null]);
    expect(fake.requests[0]?.body).toEqual({
      Image: IMAGE,
      Entrypoint: ["python"],
      Cmd: ["-m", "trainyard_trainer", "sft", "--config", "/artifacts/run-1/config.json"],
      Env: ["HF_HOME=/artifacts/hf", "PYTHONUNBUFFERED=1", "TRAINYARD_ARTIFACT_DIR=/artifacts", "TRAINYARD_RUN_ID=run-1"],
      WorkingDir: "/work",
      Labels: { "trainyard.run-id": "run-1" },
      Tty: false,
      OpenStdin: false,
      StopSignal: "SIGTERM",
      StopTimeout: 15,
      HostConfig: {
        Mounts: [{ Type: "bind", Source: "/srv/trainyard/artifacts", Target: "/artifacts", ReadOnly: false }],
        NanoCpus: 4_500_000_000,
        Memory: 16 * 1024 ** 3,
        MemorySwap: 16 * 1024 ** 3,
        DeviceRequests: [{ Driver: "nvidia", Count: 2, Capabilities: [["gpu"]] }],
        ShmSize: 1024 ** 3,
        Init: true,
        AutoRemove: false,
        RestartPolicy: { Name: "no" },
      },
    });
    expect(fake.problems).toEqual([]);
    expect(fake.container(id)).toBeUndefined(); // removed
    expect(h.resources()).toEqual({ gpus: 2, cpus: 4.5, memoryGiB: 16, enforced: true });
  });

  it("leaves DeviceRequests out without GPUs", async () => {
    const h = await start(spec({ resources: { gpus: 0, cpus: 1, memoryGiB: 2 } }));
    await h.wait();
    const hc = (fake.requests[0]?.body as { HostConfig: Record<string, unknown> }).HostConfig;
    expect(hc).not.toHaveProperty("DeviceRequests");
    expect(hc.NanoCpus).toBe(1e9);
  });

  it("reports an OOM kill from inspect", async () => {
    fake.nextScript = { output: [{ stream: "stdout", data: '{"type":"status","state":"training"}\n' }], exitCode: 137, oomKilled: true };
    const h = await start(spec());
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toEqual({ exitCode: 137, signal: "SIGKILL", reason: "oom" });
    expect(runOutcome(exit, new RunTally())).toMatchObject({ outcome: "failed", failureKind: "infra_error", code: "TY_ERR_COMPUTE_OOM" });
  });

  it("cancel: docker stop with t = the grace; a trainer that handles SIGTERM checkpoints and exits 0", async () => {
    fake.nextScript = {
      output: [{ stream: "stdout", data: '{"type":"status","state":"training"}\n' }],
      onStop: { output: [{ stream: "stdout", data: ckpt }], exitCode: 0 },
    };
    const h = await start(spec({ graceSeconds: 20 }));
    const c = collect(h);
    await c.until((e) => e.type === "status");
    expect(await h.status()).toBe("running");
    const t0 = Date.now();
    await h.cancel();
    expect(Date.now() - t0).toBeLessThan(10_000);
    await c.done;
    expect(await h.wait()).toEqual({ exitCode: 0, reason: "cancelled" });
    expect(c.events).toContainEqual({ type: "checkpoint", step: 7, path: "/artifacts/ckpt-7", sha256: "ab".repeat(32) });
    expect(fake.lines()).toContain(`POST /containers/${h.id}/stop?t=20`);
    expect(fake.requests.find((r) => r.path.endsWith("/stop"))?.body).toBeNull();
    expect(await h.status()).toBe("failed");
  });

  it("cancel: a container ignoring SIGTERM is killed when t runs out", async () => {
    fake.nextScript = { output: [{ stream: "stdout", data: "ready\n" }] };
    const h = await start(spec());
    const c = collect(h);
    await c.until((e) => e.type === "line" && e.line === "ready");
    const t0 = Date.now();
    await h.cancel(800); // rounds up to t=1: Docker's grace is in whole seconds
    const took = Date.now() - t0;
    expect(fake.lines()).toContain(`POST /containers/${h.id}/stop?t=1`);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect(await h.wait()).toEqual({ exitCode: 137, signal: "SIGKILL", reason: "cancelled" });
  });

  it("stops the container at its deadline and reports timeout", async () => {
    fake.nextScript = { output: [], onStop: { output: [], exitCode: 143 } };
    const h = await start(spec({ timeoutSeconds: 0.2, graceSeconds: 3 }));
    expect(await h.wait()).toEqual({ exitCode: 143, signal: "SIGTERM", reason: "timeout" });
    expect(fake.lines()).toContain(`POST /containers/${h.id}/stop?t=3`);
  });

  it("pulls a missing image, then creates again", async () => {
    fake.images.clear();
    fake.pullable.add(IMAGE);
    const h = await start(spec());
    await h.wait();
    expect(fake.lines().slice(0, 4)).toEqual([
      "POST /containers/create?name=ty-run-1",
      "POST /images/create?fromImage=ghcr.io%2Ftrainyard%2Ftrainer&tag=1.2",
      "POST /containers/create?name=ty-run-1",
      `POST /containers/${h.id}/start`,
    ]);
    expect(fake.requests[1]?.body).toBeNull();
  });

  it("fails with TY_ERR_COMPUTE_IMAGE_NOT_FOUND when the pull is refused", async () => {
    fake.images.clear();
    await expect(backend.start(spec())).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_IMAGE_NOT_FOUND" });
    expect(fake.lines()).toEqual([
      "POST /containers/create?name=ty-run-1",
      "POST /images/create?fromImage=ghcr.io%2Ftrainyard%2Ftrainer&tag=1.2",
    ]);
  });

  it("removes a container whose start failed, so a retry does not adopt it", async () => {
    fake.nextScript = { output: [], exitCode: 0, startError: { status: 500, message: 'could not select device driver "nvidia"' } };
    await expect(backend.start(spec())).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_API" });
    const lines = fake.lines();
    expect(lines[2]).toMatch(/^DELETE \/containers\/[0-9a-f]{64}\?force=true&v=true$/);
    expect(fake.container("ty-run-1")).toBeUndefined();
  });

  it("adopts its own container after a worker restart, and refuses another run's", async () => {
    fake.nextScript = { output: [{ stream: "stdout", data: "ready\n" }], onStop: { output: [], exitCode: 0 } };
    const first = await backend.start(spec());
    handles.push(first);
    const again = await start(spec(), new DockerBackend({ docker: fake.client() }));
    expect(again.id).toBe(first.id);
    const c = collect(again);
    await c.until((e) => e.type === "line" && e.line === "ready"); // the log replays from the start
    const lines = fake.lines();
    const i = lines.lastIndexOf("POST /containers/create?name=ty-run-1");
    expect(lines[i + 1]).toBe("GET /containers/ty-run-1/json");
    expect(lines.slice(i + 2).some((l) => l.endsWith("/start"))).toBe(false); // already running

    // A container that took the next run's name but carries another run id.
    await fake
      .client()
      .createContainer({ _query: { name: "ty-run-2" }, _body: { Image: IMAGE, Labels: { "trainyard.run-id": "someone-else" } } } as never);
    await expect(backend.start(spec({ runId: "run-2" }))).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_CONFLICT" });
  });

  it("says the daemon is unavailable when nothing listens", async () => {
    const nowhere = new DockerBackend({ docker: new Docker({ socketPath: `${fake.socketPath}.missing` }) });
    await expect(nowhere.start(spec())).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_UNAVAILABLE" });
  });

  it("refuses a spec without an image", async () => {
    await expect(backend.start(spec({ image: undefined }))).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_INVALID_SPEC" });
    expect(fake.requests).toEqual([]);
  });
});
