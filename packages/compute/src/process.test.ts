/**
 * The process backend against real child processes (Node scripts in test/fixtures).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ComputeError, ProcessBackend, RunTally, runOutcome, type LaunchSpec, type RunHandle } from "./index.js";
import { processAlive } from "./process-group.js";
import { collect, lineOf } from "../test/collect.js";

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const artifactDir = mkdtempSync(join(tmpdir(), "ty-compute-"));
afterAll(() => rmSync(artifactDir, { recursive: true, force: true }));

const spec = (script: string, args: string[] = [], over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  runId: "run-1",
  command: [process.execPath, fixture(script), ...args],
  env: {},
  artifactDir,
  resources: { gpus: 0, cpus: 1, memoryGiB: 1 },
  ...over,
});

// Every test's runs are brought down even when an assertion failed half-way.
const started: RunHandle[] = [];
const backend = new ProcessBackend();
async function start(s: LaunchSpec): Promise<RunHandle> {
  const h = await backend.start(s);
  started.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.cancel(0)));
});

describe("ProcessBackend", () => {
  it("streams protocol events and plain lines, across cut lines and characters, in order", async () => {
    const h = await start(spec("protocol.mjs", ["done"]));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toEqual({ exitCode: 0, reason: "exited" });
    expect(c.events.filter((e) => e.type !== "line" || e.stream === "stdout")).toEqual([
      { type: "status", state: "starting" },
      { type: "metrics", step: 1, max_steps: 2, values: { loss: 0.5 } },
      { type: "line", stream: "stdout", line: "plain log line" },
      { type: "line", stream: "stdout", line: "héllo ✓" },
      { type: "line", stream: "stdout", line: '{"type":"metrics","step":-1}' },
      { type: "done", step: 2, result: { loss: 0.25 } },
      { type: "line", stream: "stdout", line: "bye" },
    ]);
    // stderr is logs only, even when a line looks like an event.
    expect(c.events.filter((e) => e.type === "line" && e.stream === "stderr")).toEqual([
      { type: "line", stream: "stderr", line: "loading weights" },
      { type: "line", stream: "stderr", line: '{"type":"done","step":9}' },
    ]);
    const tally = new RunTally();
    c.events.forEach((e) => tally.observe(e));
    expect(runOutcome(exit, tally)).toEqual({ outcome: "succeeded" });
    expect(await h.status()).toBe("succeeded");
  });

  it("reports the trainer's error event, and a crash when there is none", async () => {
    const failed = await start(spec("protocol.mjs", ["error"]));
    const crashed = await start(spec("protocol.mjs", ["crash"]));
    const [cf, cc] = [collect(failed), collect(crashed)];
    const [ef, ec] = await Promise.all([failed.wait(), crashed.wait()]);
    await Promise.all([cf.done, cc.done]);
    const tally = (evs: typeof cf.events) => {
      const t = new RunTally();
      evs.forEach((e) => t.observe(e));
      return t;
    };
    expect(ef).toEqual({ exitCode: 3, reason: "exited" });
    expect(runOutcome(ef, tally(cf.events))).toEqual({
      outcome: "failed",
      failureKind: "user_error",
      code: "TY_ERR_TRAINER_BAD_CONFIG",
      message: "lr must be > 0",
    });
    expect(ec).toEqual({ exitCode: 5, reason: "exited" });
    expect(runOutcome(ec, tally(cc.events))).toMatchObject({ outcome: "failed", failureKind: "crashed", code: "TY_ERR_COMPUTE_CRASHED" });
    expect(await failed.status()).toBe("failed");
  });

  it("cancel: a trainer that handles SIGTERM checkpoints and exits 0 within the grace", async () => {
    const h = await start(spec("graceful.mjs", [], { graceSeconds: 5 }));
    const c = collect(h);
    await c.until((e) => e.type === "status" && e.state === "training");
    expect(await h.status()).toBe("running");
    const t0 = Date.now();
    await h.cancel();
    const took = Date.now() - t0;
    expect(await h.wait()).toEqual({ exitCode: 0, reason: "cancelled" });
    await c.done;
    expect(c.events).toContainEqual({ type: "checkpoint", step: 7, path: "/artifacts/ckpt-7", sha256: "ab".repeat(32) });
    expect(took).toBeLessThan(2000); // it exited by itself: no wait for the 5 s grace
    expect(runOutcome(await h.wait(), new RunTally())).toEqual({ outcome: "cancelled" });
  });

  it("cancel: a trainer that ignores SIGTERM is SIGKILLed after the grace period", async () => {
    const h = await start(spec("stubborn.mjs"));
    const c = collect(h);
    await c.until(lineOf("ready"));
    const t0 = Date.now();
    await h.cancel(600);
    const took = Date.now() - t0;
    expect(await h.wait()).toEqual({ exitCode: null, signal: "SIGKILL", reason: "cancelled" });
    await c.done;
    expect(c.events).toContainEqual({ type: "line", stream: "stdout", line: "ignoring SIGTERM" }); // SIGTERM came first
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(10_000);
  });

  it("cancel reaches the whole process tree: a grandchild ignoring SIGTERM dies too", async () => {
    const h = await start(spec("tree.mjs", ["stay"], { graceSeconds: 0.5 }));
    const c = collect(h);
    const ev = await c.until((e) => e.type === "line" && e.line.startsWith("grandchild "));
    const grandchild = Number((ev as { line: string }).line.split(" ")[1]);
    expect(processAlive(grandchild)).toBe(true);
    await h.cancel();
    expect(processAlive(grandchild)).toBe(false);
    expect((await h.wait()).reason).toBe("cancelled");
  });

  it("when the trainer exits, a straggler holding its stdout is stopped after the grace", async () => {
    const h = await start(spec("tree.mjs", ["leave"], { graceSeconds: 0.5 }));
    const c = collect(h);
    const t0 = Date.now();
    const exit = await h.wait();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(exit).toEqual({ exitCode: 0, reason: "exited" });
    await c.done;
    const ev = c.events.find((e) => e.type === "line" && e.line.startsWith("grandchild "));
    expect(ev).toBeDefined();
    expect(processAlive(Number((ev as { line: string }).line.split(" ")[1]))).toBe(false);
  });

  it("stops a run at its deadline and reports timeout", async () => {
    const h = await start(spec("stubborn.mjs", [], { timeoutSeconds: 0.3, graceSeconds: 0.2 }));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toEqual({ exitCode: null, signal: "SIGKILL", reason: "timeout" });
    expect(runOutcome(exit, new RunTally())).toMatchObject({
      outcome: "failed",
      failureKind: "timed_out",
      code: "TY_ERR_COMPUTE_TIMED_OUT",
    });
  });

  it("runs at the niceness the spec asks for, and its children too; refuses one outside 0–19", async () => {
    // The shell waits so the niceness set right after exec is in place; its child inherits it.
    const script = "sleep 0.3; cut -d' ' -f19 /proc/$$/stat; sh -c 'cut -d\\  -f19 /proc/$$/stat'";
    const nice = async (over: Partial<LaunchSpec>) => {
      const h = await start({ ...spec("protocol.mjs"), command: ["sh", "-c", script], ...over });
      const c = collect(h);
      await h.wait();
      await c.done;
      return c.events.filter((e) => e.type === "line" && e.stream === "stdout").map((e) => (e as { line: string }).line);
    };
    expect(await nice({ niceness: 10 })).toEqual(["10", "10"]);
    expect(await nice({})).toEqual(["0", "0"]);
    await expect(backend.start({ ...spec("protocol.mjs"), niceness: 20 })).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_INVALID_SPEC" });
  });

  it("cancel after the run ended on its own keeps its exit", async () => {
    const h = await start(spec("protocol.mjs", ["done"]));
    const c = collect(h);
    await h.wait();
    await h.cancel();
    await c.done;
    expect(await h.wait()).toEqual({ exitCode: 0, reason: "exited" });
  });

  it("passes only allow-listed host variables, the spec's env, and the base variables", async () => {
    process.env.TY_TEST_SECRET = "do-not-leak";
    try {
      const h = await start(spec("env.mjs", [], { workdir: artifactDir, env: { FOO: "bar", PYTHONUNBUFFERED: "0" } }));
      const c = collect(h);
      await h.wait();
      await c.done;
      const first = c.events[0];
      expect(first?.type).toBe("line");
      const seen = JSON.parse((first as { line: string }).line) as { cwd: string; env: Record<string, string> };
      expect(seen.cwd).toBe(artifactDir);
      expect(seen.env.TY_TEST_SECRET).toBeUndefined();
      expect(seen.env.PATH).toBe(process.env.PATH);
      expect(seen.env).toMatchObject({
        FOO: "bar",
        PYTHONUNBUFFERED: "0",
        TRAINYARD_ARTIFACT_DIR: artifactDir,
        TRAINYARD_RUN_ID: "run-1",
        CUDA_VISIBLE_DEVICES: "",
      });
      expect(h.resources()).toEqual({ gpus: 0, cpus: 1, memoryGiB: 1, enforced: false });
    } finally {
      delete process.env.TY_TEST_SECRET;
    }
  });

  it("events() has one reader", async () => {
    const h = await start(spec("protocol.mjs", ["done"]));
    const c = collect(h);
    expect(() => h.events()).toThrow(expect.objectContaining({ code: "TY_ERR_COMPUTE_EVENTS_TAKEN" }));
    await h.wait();
    await c.done;
  });

  it("refuses what it cannot start, with codes", async () => {
    await expect(backend.start(spec("env.mjs", [], { command: ["/nonexistent/trainer"] }))).rejects.toMatchObject({
      code: "TY_ERR_COMPUTE_SPAWN_FAILED",
    });
    await expect(backend.start(spec("env.mjs", [], { image: "trainer:1" }))).rejects.toMatchObject({ code: "TY_ERR_COMPUTE_INVALID_SPEC" });
    await expect(backend.start(spec("env.mjs", [], { command: [] }))).rejects.toBeInstanceOf(ComputeError);
    await expect(backend.start(spec("env.mjs", [], { artifactDir: "relative/dir" }))).rejects.toMatchObject({
      code: "TY_ERR_COMPUTE_INVALID_SPEC",
    });
  });
});
