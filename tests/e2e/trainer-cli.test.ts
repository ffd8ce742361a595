/**
 * The trainer as a person uses it, through the built `trainyard` binary and the real Python
 * trainer (TRL on CPU): `train --mode sft`, `train --mode grpo --init-from` that checkpoint,
 * `model serve` the result and `eval` it over HTTP, on a Sokoban and a General Points dataset,
 * with full weights, with `--lora`, and with `--model DIR` (a small causal LM saved by
 * transformers from a config). Sizes are tiny: this checks the plumbing, not learning.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(REPO, "apps", "cli", "bin", "trainyard.js");
const PYTHON = process.env.TRAINYARD_PYTHON || join(REPO, ".venv", "bin", "python");
const dir = mkdtempSync(join(tmpdir(), "ty-trainer-cli-"));

function cli(args: string[], timeout = 240_000) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout, env: process.env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Ev {
  type: string;
  step?: number;
  path?: string;
  code?: string;
}

function events(stdout: string): Ev[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Ev);
}

function writeJson(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
}

/** `trainyard model serve DIR --port 0 --json` until its JSON line; returns the URL, name and a stop(). */
async function serve(ckpt: string): Promise<{ baseURL: string; model: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, "model", "serve", ckpt, "--port", "0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`model serve did not answer in 120 s:\n${err}`)), 120_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        resolve(out.slice(0, nl));
      }
    });
    child.once("exit", (code) => reject(new Error(`model serve exited ${code}:\n${err}`)));
  });
  const { baseURL, model } = JSON.parse(line) as { baseURL: string; model: string };
  return {
    baseURL,
    model,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

const datasets: Record<string, string> = {};
// A tiny model and short runs; the GP prompts (~1 kB) need the longer context.
const TINY = { d_model: 32, layers: 1, heads: 2, vocab_size: 400, context_length: 1024, batch_size: 4, save_steps: 0 };
const GRPO = { num_generations: 2, prompts_per_batch: 2, mini_batch_prompts: 2, max_completion_length: 24, save_steps: 0 };

beforeAll(() => {
  const specs = {
    sokoban: { preset: "demo-cpu", datasets: { train: { size: 3 }, eval: { size: 1 } } },
    "general-points": {
      preset: "paper-general-points",
      arms: [{ name: "ans", method: "sft", data: "frozen", target: "answer" }],
      datasets: { train: { size: 8 }, eval: { size: 1 } },
    },
  };
  for (const [task, spec] of Object.entries(specs)) {
    const out = join(dir, `ds-${task}`);
    const r = cli(["dataset", "build", writeJson(`${task}.json`, spec), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    datasets[task] = out;
  }
  // "Any small Hugging Face causal LM directory saved by transformers": built from a config.
  const py = `import sys; sys.path.insert(0, ${JSON.stringify(join(REPO, "infra", "trainer", "tests"))})
from pathlib import Path
from conftest import save_hf_model, toy_rows
save_hf_model(Path(sys.argv[1]), "qwen2", [r["prompt"] + r["completion"] for r in toy_rows(100)])`;
  const made = spawnSync(PYTHON, ["-c", py, join(dir, "hf-qwen2")], { encoding: "utf8", timeout: 120_000 });
  expect(made.status, made.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each dataset with full weights and with --lora, and a model directory (with --lora, so LoRA
// also runs on a model that was not built by the trainer).
const CASES = [
  { name: "sokoban, tiny", task: "sokoban", model: "tiny", lora: false },
  { name: "general points, tiny", task: "general-points", model: "tiny", lora: false },
  { name: "general points, tiny, --lora", task: "general-points", model: "tiny", lora: true },
  { name: "sokoban, --model DIR, --lora", task: "sokoban", model: "DIR", lora: true },
] as const;

describe("trainyard train → train --mode grpo → model serve → eval", () => {
  it.each(CASES)("$name", { timeout: 600_000 }, async ({ name, task, model, lora }) => {
    const tag = name.replace(/[^a-z]+/g, "-");
    const modelArg = model === "DIR" ? join(dir, "hf-qwen2") : "tiny";
    const extra = model === "DIR" ? { batch_size: 4, save_steps: 0, context_length: 1024 } : TINY;
    const sftOut = join(dir, `${tag}-sft`);
    const sft = cli([
      "train", "--mode", "sft", "--model", modelArg, "--dataset", datasets[task]!, "--arm", "frozen-answer",
      "--out", sftOut, "--max-steps", "3", "--config", writeJson(`${tag}-sft.json`, extra), "--json",
      ...(lora ? ["--lora", "8"] : []),
    ]); // prettier-ignore
    expect(sft.code, sft.stderr.slice(-2000)).toBe(0);
    const sftCkpt = events(sft.stdout)
      .filter((e) => e.type === "checkpoint")
      .at(-1)!;
    expect(sftCkpt.step).toBe(3);
    expect(readdirSync(sftCkpt.path!)).toContain(lora ? "adapter_model.safetensors" : "model.safetensors");

    const grpoOut = join(dir, `${tag}-grpo`);
    const grpo = cli([
      "train", "--mode", "grpo", "--dataset", datasets[task]!, "--arm", "frozen-answer", "--init-from", sftCkpt.path!,
      "--out", grpoOut, "--max-steps", "1", "--config", writeJson(`${tag}-grpo.json`, { ...GRPO, context_length: extra.context_length }), "--json",
    ]); // prettier-ignore
    expect(grpo.code, grpo.stderr.slice(-2000)).toBe(0);
    const evs = events(grpo.stdout);
    expect(
      evs.find((e) => e.type === "metrics"),
      "GRPO logged a step",
    ).toBeDefined();
    const grpoCkpt = evs.filter((e) => e.type === "checkpoint").at(-1)!;
    expect(grpoCkpt.step).toBe(1);

    const served = await serve(grpoCkpt.path!);
    try {
      expect(served.model).toBe(`${tag}-grpo/checkpoint-1`);
      const split = task === "sokoban" ? "id" : "id";
      const ev = cli(["eval", "--env", task, "--splits", split, "--endpoint", served.baseURL, "--model", served.model,
        "--n", "1", "--max-tokens", "24", "--json"]); // prettier-ignore
      expect(ev.code, ev.stderr.slice(-2000)).toBe(0);
      const report = JSON.parse(ev.stdout) as { splits: Record<string, { n: number; success: number }> };
      expect(report.splits[split]!.n).toBe(1);
      expect(report.splits[split]!.success).toBeGreaterThanOrEqual(0);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it("names the flag of a bad model or LoRA rank, and a directory that is no checkpoint", { timeout: 120_000 }, () => {
    const noModel = cli(["train", "--mode", "sft", "--model", "./nope", "--dataset", datasets.sokoban!, "--out", join(dir, "x")]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain("--model");
    const badRank = cli(["train", "--mode", "sft", "--lora", "0", "--dataset", datasets.sokoban!, "--out", join(dir, "x")]);
    expect(badRank.code).toBe(2);
    expect(badRank.stderr).toContain("--lora");
    const notCkpt = cli(["model", "serve", dir]);
    expect(notCkpt.code).toBe(2);
    expect(notCkpt.stderr).toContain("not a model directory");
    expect(cli(["model", "serve", join(dir, "missing")]).stderr).toContain("does not exist");
    expect(cli(["train", "--mode", "sft", "--engine", "cpu", "--dataset", datasets.sokoban!, "--out", join(dir, "x")]).code).not.toBe(0);
  });
});
