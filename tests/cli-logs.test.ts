/**
 * The built `trainyard` binary against a listening API and a worker: `logs JOB -f` follows a
 * running job live until it ends, piping any command into `head` ends quietly, and `open`
 * prints an experiment's dashboard URL. (scripts/test.sh builds before running vitest.)
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobHandler, RunningWorker } from "../apps/worker/src/index.js";
import { experimentEnd, startApiHarness, submitExperiment, type ApiHarness } from "./helpers/api.js";
import { startTestWorker, waitFor } from "./helpers/worker.js";

const bin = fileURLToPath(new URL("../apps/cli/bin/trainyard.js", import.meta.url));
let h: ApiHarness;
let worker: RunningWorker;
let base: string;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let chattyJob = "";

beforeAll(async () => {
  h = await startApiHarness({ ssePollMs: 30 });
  base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
  const handler: JobHandler = async (ctx) => {
    if (ctx.job.kind === "sft" && ctx.job.arm === "slow") {
      await ctx.log("before the gate");
      await gate; // the test watches `logs -f` print this line, then opens the gate
      for (let i = 1; i <= 3; i++) await ctx.log(`after the gate ${i}`);
    }
    // ~160 KB of log: more than a pipe holds, so `| head` closes it while the CLI still writes.
    if (ctx.job.kind === "sft" && ctx.job.arm === "chatty") for (let i = 0; i < 200; i++) await ctx.log(`line ${i} ${"x".repeat(800)}`);
    return {};
  };
  worker = await startTestWorker(h.db, h.prefix, { handlers: { "dataset-build": handler, sft: handler, grpo: handler, eval: handler } });
  const chatty = await submitExperiment(h, {
    preset: "demo-cpu",
    name: "chatty",
    arms: [{ name: "chatty", method: "sft", data: "frozen", target: "answer" }],
  });
  await experimentEnd(h, chatty.id, 60_000);
  chattyJob = chatty.jobs.find((j) => j.name === "sft:chatty:s0")!.id;
}, 120_000);

afterAll(async () => {
  release();
  await worker?.close();
  await h?.close();
});

const env = () => ({ ...process.env, TRAINYARD_URL: base, TRAINYARD_API_KEY: h.key });

/**
 * Run a command to its end. Never spawnSync here: the API answering the CLI lives in this
 * process, and a synchronous spawn would block it.
 */
function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

describe("trainyard logs", () => {
  it("`logs JOB -f` prints a running job's events as they happen and exits when it ends", { timeout: 60_000 }, async () => {
    const exp = await submitExperiment(h, {
      preset: "demo-cpu",
      name: "slow",
      arms: [{ name: "slow", method: "sft", data: "frozen", target: "answer" }],
    });
    const job = exp.jobs.find((j) => j.name === "sft:slow:s0")!.id;
    const child = spawn(process.execPath, [bin, "logs", job, "-f"], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    // The line before the gate arrives while the job is still running: this is following, not replaying.
    await waitFor(async () => out.includes("before the gate") || null, 30_000);
    expect(out).not.toContain("after the gate");
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job } })).state).toBe("running");
    release();
    expect(await exited).toBe(0);
    expect(err).toBe("");
    const lines = out.trim().split("\n");
    expect(lines.filter((l) => /after the gate \d/.test(l)).map((l) => l.replace(/^.* log +/, ""))).toEqual([
      "after the gate 1",
      "after the gate 2",
      "after the gate 3",
    ]);
    expect(lines.at(-1)).toMatch(/status +\{"state":"succeeded"/);
  });

  it("ends quietly when piped into head, with and without -f", { timeout: 120_000 }, async () => {
    for (const args of [
      ["logs", chattyJob],
      ["logs", chattyJob, "-f"],
      ["ls", "--limit", "200"],
    ]) {
      const r = await run("bash", ["-o", "pipefail", "-c", `"${process.execPath}" "${bin}" ${args.join(" ")} | head -n 2`]);
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout.trim().split("\n"), args.join(" ")).toHaveLength(2);
    }
  });
});

describe("trainyard open", () => {
  it("prints the dashboard URL of an experiment, and names a bad or unknown id", { timeout: 60_000 }, async () => {
    const exp = await submitExperiment(h, { preset: "demo-cpu", name: "to-open" });
    const ok = await run(process.execPath, [bin, "open", exp.id]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`${base}/experiments/${exp.id}\n`);
    // The URL answers with the dashboard (the API serves the built app there).
    const page = await fetch(ok.stdout.trim());
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");

    const bad = await run(process.execPath, [bin, "open", "not-an-id"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("<id>");
    const unknown = await run(process.execPath, [bin, "open", "0b7a2f6e-5c1d-4c1e-9f43-3f7e3b1b2c9d"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("TY_ERR_NOT_FOUND");
  });
});
