/**
 * The slurm backend against the real one-node cluster of `scripts/slurm.sh` (munged, slurmdbd,
 * slurmctld, slurmd): every test submits real batch jobs and reads what Slurm and sacct recorded.
 * The trainers are small Node scripts speaking the trainer protocol (test/fixtures).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { collect, lineOf } from "../test/collect.js";
import { sacctRows, slurmCluster, slurmCmd } from "../test/slurm-cluster.js";
import { isReplayed, runOutcome, RunTally, SlurmBackend, type LaunchSpec, type RunEvent, type RunPosition } from "./index.js";

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const node = process.execPath;
const artifactDir = mkdtempSync(join(tmpdir(), "ty-slurm-"));
const backend = new SlurmBackend({ pollMs: 500, tailMs: 200, settleMs: 300 });
const runId = (what: string) => `test-${what}-${randomBytes(4).toString("hex")}`;
const launch = (what: string, command: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec => ({
  runId: runId(what),
  command,
  env: { TY_TEST_VALUE: "it's $HOME" },
  artifactDir,
  resources: { gpus: 0, cpus: 1, memoryGiB: 0.25 },
  timeoutSeconds: 600,
  ...extra,
});
const isMetrics = (ev: RunEvent) => ev.type === "metrics";
/** sacct learns a job's end (and fills in its QoS and partition) a moment after squeue does. */
async function sacctFinal(jobId: string, timeoutMs = 20_000): Promise<string[][]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = sacctRows(jobId);
    const last = rows[rows.length - 1] ?? [];
    const settled = last.length > 0 && !/^(PENDING|RUNNING|REQUEUED)/.test(last[0]!) && !last.some((f) => f === "" || f === "Unknown");
    if (settled || Date.now() > end) return rows;
    await new Promise((r) => setTimeout(r, 300));
  }
}

afterAll(() => rmSync(artifactDir, { recursive: true, force: true }));

describe.runIf(slurmCluster())("slurm backend on the local cluster", { timeout: 120_000 }, () => {
  it("runs a job that fails: every line in order, the trainer's error decides, sacct has it", async () => {
    const h = await backend.start(launch("fail", [node, fixture("protocol.mjs"), "error"]));
    expect(h.id).toMatch(/^\d+$/);
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    const own = c.events.filter((e) => !(e.type === "log" && e.message.startsWith("slurm:")));
    expect(own.filter((e) => e.type !== "line" || e.stream === "stdout").map((e) => e.type)).toEqual([
      "status",
      "metrics",
      "line",
      "line",
      "line",
      "error",
      "line",
    ]);
    expect(own).toContainEqual({ type: "line", stream: "stdout", line: "héllo ✓" });
    expect(own).toContainEqual({ type: "line", stream: "stderr", line: '{"type":"done","step":9}' });
    expect(exit).toMatchObject({ exitCode: 3, reason: "exited" });
    const tally = new RunTally();
    c.events.forEach((e) => tally.observe(e));
    expect(runOutcome(exit, tally)).toMatchObject({ outcome: "failed", failureKind: "user_error", code: "TY_ERR_TRAINER_BAD_CONFIG" });
    // The job log says what Slurm did.
    expect(c.events.some((e) => e.type === "log" && /^slurm: job \d+ FAILED/.test(e.message))).toBe(true);
    expect((await sacctFinal(h.id)).at(-1)?.slice(0, 2)).toEqual(["FAILED", "3:0"]);
    expect(await h.status()).toBe("failed");

    const crash = await backend.start(launch("crash", [node, fixture("protocol.mjs"), "crash"]));
    const cc = collect(crash);
    const crashExit = await crash.wait();
    await cc.done;
    const t2 = new RunTally();
    cc.events.forEach((e) => t2.observe(e));
    expect(runOutcome(crashExit, t2)).toMatchObject({ failureKind: "crashed", code: "TY_ERR_COMPUTE_CRASHED" });
  });

  it("passes exactly the job's environment, not the worker's secrets", async () => {
    process.env.TY_TEST_WORKER_SECRET = "do-not-leak";
    try {
      const spec = launch("env", [node, fixture("env.mjs")], { workdir: artifactDir });
      const h = await backend.start(spec);
      const c = collect(h);
      expect(await h.wait()).toMatchObject({ exitCode: 0, reason: "exited" });
      await c.done;
      const line = c.events.find((e) => e.type === "line" && e.stream === "stdout" && e.line.startsWith("{"));
      const seen = JSON.parse((line as { line: string }).line) as { cwd: string; env: Record<string, string> };
      expect(seen.cwd).toBe(artifactDir);
      expect(seen.env).toMatchObject({
        TY_TEST_VALUE: "it's $HOME",
        TRAINYARD_RUN_ID: spec.runId,
        TRAINYARD_ARTIFACT_DIR: artifactDir,
        PYTHONUNBUFFERED: "1",
        SLURM_JOB_ID: h.id,
      });
      expect(seen.env.TY_TEST_WORKER_SECRET).toBeUndefined();
    } finally {
      delete process.env.TY_TEST_WORKER_SECRET;
    }
  });

  it("submits to the partition, account and QoS named, and reports sbatch's refusals as rejected", async () => {
    const h = await backend.start(launch("placed", [node, "-e", ""], { partition: "batch", account: "lab", qos: "high" }));
    await h.wait();
    expect((await sacctFinal(h.id)).at(-1)?.slice(2)).toEqual(["lab", "high", "batch"]);
    for (const bad of [{ partition: "nope" }, { account: "nope" }, { resources: { gpus: 1, cpus: 1, memoryGiB: 1 } }]) {
      await expect(backend.start(launch("bad", [node, "-e", ""], bad)), JSON.stringify(bad)).rejects.toMatchObject({
        code: "TY_ERR_COMPUTE_REJECTED",
        failureKind: "user_error",
      });
    }
  });

  it("cancels a job while it is PENDING, saying why it waits", async () => {
    const h = await backend.start(launch("pending", [node, fixture("graceful.mjs")], { partition: "closed" }));
    const c = collect(h);
    const notice = await c.until((e) => e.type === "log" && e.message.includes("PENDING (PartitionDown)"), 15_000);
    expect(notice).toMatchObject({ level: "warn" });
    expect(await h.status()).toBe("pending");
    await h.cancel();
    expect(await h.wait()).toMatchObject({ reason: "cancelled" });
    await c.done;
    expect(runOutcome(await h.wait(), { lastTerminal: null })).toEqual({ outcome: "cancelled" });
    expect((await sacctFinal(h.id)).at(-1)?.[0]).toMatch(/^CANCELLED/);
  });

  it("cancels a RUNNING job: scancel reaches the trainer, which saves, all within 10 s", async () => {
    const h = await backend.start(launch("running", [node, fixture("graceful.mjs")]));
    const c = collect(h);
    await c.until((e) => e.type === "status" && e.state === "training", 30_000);
    const t0 = Date.now();
    await h.cancel();
    const took = Date.now() - t0;
    await c.done;
    // graceful.mjs reports its checkpoint only from its SIGTERM handler.
    expect(c.events).toContainEqual(expect.objectContaining({ type: "checkpoint", step: 7 }));
    expect(took).toBeLessThan(10_000);
    expect(await h.wait()).toMatchObject({ reason: "cancelled" });
    expect((await sacctFinal(h.id)).at(-1)?.[0]).toMatch(/^CANCELLED/);
  });

  it("ends a job at its time limit as a timeout, after the trainer's SIGTERM save", { timeout: 240_000 }, async () => {
    // Slurm's smallest limit is one minute, checked about every 30 s.
    const h = await backend.start(launch("timeout", [node, fixture("graceful.mjs")], { timeoutSeconds: 30 }));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toMatchObject({ reason: "timeout" });
    expect(c.events).toContainEqual(expect.objectContaining({ type: "checkpoint", step: 7 }));
    expect(runOutcome(exit, { lastTerminal: null })).toMatchObject({ failureKind: "timed_out", code: "TY_ERR_COMPUTE_TIMED_OUT" });
    expect((await sacctFinal(h.id)).at(-1)?.[0]).toBe("TIMEOUT");
  });

  it("reports a requeued job as preempted and keeps Slurm from re-running it from scratch", async () => {
    const h = await backend.start(launch("requeue", [node, fixture("graceful.mjs")]));
    const c = collect(h);
    await c.until((e) => e.type === "status" && e.state === "training", 30_000);
    slurmCmd("scontrol", ["requeue", h.id]);
    const exit = await h.wait();
    await c.done;
    expect(exit.reason).toBe("preempted");
    expect(c.events).toContainEqual(expect.objectContaining({ type: "checkpoint", step: 7 }));
    expect(runOutcome(exit, { lastTerminal: null })).toMatchObject({ failureKind: "infra_error", code: "TY_ERR_COMPUTE_PREEMPTED" });
    // The first run was requeued; the requeued job was cancelled before it could start again
    // (slurmctld always says so; slurmdbd records a cancel of a requeued, not yet eligible job only sometimes).
    expect(slurmCmd("squeue", ["-h", "-t", "all", "-j", h.id, "-O", "State:|,RestartCnt:|"]).trim()).toBe("CANCELLED|1|");
    const runs = sacctRows(h.id).map((r) => r[0]!.split(" ")[0]);
    expect(runs[0]).toBe("REQUEUED");
    expect(runs.slice(1).every((s) => s === "CANCELLED")).toBe(true);
    expect(c.events.filter((e) => e.type === "status" && e.state === "training")).toHaveLength(1);
  });

  it("reports a job killed for its memory as oom", async () => {
    const h = await backend.start(launch("oom", [node, fixture("hog.mjs"), "600"], { resources: { gpus: 0, cpus: 1, memoryGiB: 0.2 } }));
    const c = collect(h);
    const exit = await h.wait();
    await c.done;
    expect(exit).toMatchObject({ reason: "oom" });
    expect(runOutcome(exit, { lastTerminal: null })).toMatchObject({ code: "TY_ERR_COMPUTE_OOM" });
  });

  it("re-attaches to a running job from another backend instance and replays what was missed", async () => {
    const spec = launch("attach", [node, fixture("counter.mjs"), "30", "150"]);
    const h = await backend.start(spec);
    // The first reader handles 5 metrics events, remembers where it was, and goes away.
    let seen: RunPosition | null = null;
    const handled: number[] = [];
    for await (const ev of h.events()) {
      if (ev.type === "metrics") handled.push(ev.step);
      seen = h.position!();
      if (handled.length === 5) break;
    }
    h.detach!();
    expect(await h.wait()).toMatchObject({ reason: "lost" });
    // The job ran on meanwhile.
    expect(slurmCmd("squeue", ["-h", "-j", h.id, "-o", "%T"]).trim()).toMatch(/RUNNING|COMPLETING/);

    const other = new SlurmBackend({ pollMs: 500, tailMs: 200, settleMs: 300 });
    const again = await other.attach!({ runId: spec.runId, artifactDir, resources: spec.resources });
    expect(again?.id).toBe(h.id);
    const tally = new RunTally();
    let replayed = 0;
    for await (const ev of again!.events()) {
      tally.observe(ev);
      if (isReplayed(ev, again!.position!(), seen)) {
        replayed++;
        continue;
      }
      if (ev.type === "metrics") handled.push(ev.step);
    }
    expect(replayed).toBeGreaterThanOrEqual(5);
    expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(runOutcome(await again!.wait(), tally)).toEqual({ outcome: "succeeded" });
    expect(await other.attach!({ runId: runId("never-started"), artifactDir, resources: spec.resources })).toBeNull();
  });

  it("adopts the job a run already submitted instead of submitting it twice", async () => {
    const spec = launch("adopt", [node, fixture("counter.mjs"), "3", "50"]);
    const a = await backend.start(spec);
    const b = await backend.start(spec);
    expect(b.id).toBe(a.id);
    const c = collect(b);
    await b.wait();
    await c.done;
    expect(c.events.filter(isMetrics).map((e) => (e as { step: number }).step)).toEqual([1, 2, 3]);
    const record = JSON.parse(readFileSync(join(artifactDir, "slurm", `ty-${spec.runId}`, "job.json"), "utf8")) as { jobId: string };
    expect(record.jobId).toBe(a.id);
    await a.cancel();
  });

  it("serves: a server bound to 0.0.0.0 is announced at the node's address, answers, and stops on cancel", async () => {
    const h = await backend.start(launch("serve", [node, fixture("serve.mjs")]));
    const c = collect(h);
    const serving = (await c.until((e) => e.type === "status" && e.state === "serving", 30_000)) as { message: string };
    const host = slurmCmd("scontrol", ["-o", "show", "node", slurmCmd("squeue", ["-h", "-j", h.id, "-o", "%B"]).trim()]).match(
      /NodeAddr=(\S+)/,
    )![1];
    expect(serving.message).toMatch(new RegExp(`^http://${host}:\\d+$`));
    const res = await fetch(`${serving.message}/health`);
    expect(await res.json()).toEqual({ ok: true, path: "/health" });
    await h.cancel(5000);
    await c.done;
    expect(c.events.find(lineOf("never"))).toBeUndefined();
    expect(c.events).toContainEqual(expect.objectContaining({ type: "done" }));
    expect(await h.wait()).toMatchObject({ reason: "cancelled" });
  });
});
