/**
 * `trainyard train --processes 2`: two gloo ranks on the CPU through the built CLI and the real
 * trainer (the launcher in infra/trainer/trainyard_trainer/launch.py). One protocol stream, the
 * loss falling, checkpoints that load with AutoModelForCausalLM; GRPO from the SFT checkpoint.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(REPO, "apps", "cli", "bin", "trainyard.js");
const PYTHON = process.env.TRAINYARD_PYTHON || join(REPO, ".venv", "bin", "python");
const dir = mkdtempSync(join(tmpdir(), "ty-distributed-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ev {
  type: string;
  state?: string;
  step?: number;
  path?: string;
  values?: Record<string, number>;
}

function train(args: string[]): { code: number | null; events: Ev[]; stderr: string } {
  const r = spawnSync(process.execPath, [bin, "train", ...args, "--json"], { encoding: "utf8", timeout: 240_000, env: process.env });
  const events = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Ev);
  return { code: r.status, events, stderr: r.stderr };
}

const COLOURS: Record<string, string> = { red: "Up", green: "Down", blue: "Left", amber: "Right" };
const rows = Array.from({ length: 96 }, (_, i) => {
  const colour = Object.keys(COLOURS)[i % 4]!;
  return {
    prompt: `Answer with the direction of the colour.\nColour: ${colour}\nDecide the next action:`,
    completion: ` <answer> ${COLOURS[colour]} </answer>\n`,
    reward: { op: "reward", env: "sokoban", answerId: (i % 4) + 1 },
  };
});
const data = join(dir, "toy.jsonl");
writeFileSync(data, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
const tiny = join(dir, "tiny.json");
writeFileSync(
  tiny,
  JSON.stringify({
    d_model: 64,
    layers: 1,
    heads: 4,
    vocab_size: 400,
    context_length: 128,
    batch_size: 16,
    save_steps: 5,
    learning_rate: 1e-2,
  }),
);

function oneStream(events: Ev[]): void {
  expect(events.filter((e) => e.type === "status" && e.state === "starting")).toHaveLength(1);
  expect(events.filter((e) => e.type === "done")).toHaveLength(1);
  expect(events.at(-1)?.type).toBe("done");
  const steps = events.filter((e) => e.type === "metrics").map((e) => e.step);
  expect(new Set(steps).size).toBe(steps.length);
}

function loads(path: string): void {
  const r = spawnSync(
    PYTHON,
    ["-c", "import sys; from transformers import AutoModelForCausalLM; AutoModelForCausalLM.from_pretrained(sys.argv[1])", path],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
}

it("trains SFT and then GRPO as two processes each", () => {
  const sft = train([
    "--mode",
    "sft",
    "--dataset",
    data,
    "--out",
    join(dir, "sft"),
    "--max-steps",
    "10",
    "--processes",
    "2",
    "--config",
    tiny,
  ]);
  expect(sft.code, sft.stderr.slice(-3000)).toBe(0);
  oneStream(sft.events);
  const losses = sft.events.filter((e) => e.type === "metrics").map((e) => e.values!.loss!);
  expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
  const ckpts = sft.events.filter((e) => e.type === "checkpoint");
  expect(ckpts.map((c) => c.step)).toEqual([5, 10]);
  for (const c of ckpts) loads(c.path!);

  const grpoCfg = join(dir, "grpo.json");
  writeFileSync(
    grpoCfg,
    JSON.stringify({
      num_generations: 2,
      prompts_per_batch: 4,
      mini_batch_prompts: 4,
      max_completion_length: 8,
      context_length: 128,
      save_steps: 0,
    }),
  );
  const grpo = train([
    "--mode",
    "grpo",
    "--dataset",
    data,
    "--out",
    join(dir, "grpo"),
    "--init-from",
    ckpts.at(-1)!.path!,
    "--max-steps",
    "2",
    "--processes",
    "2",
    "--config",
    grpoCfg,
  ]);
  expect(grpo.code, grpo.stderr.slice(-3000)).toBe(0);
  oneStream(grpo.events);
  const m = grpo.events.filter((e) => e.type === "metrics");
  expect(m.map((e) => e.step)).toEqual([1, 2]);
  expect(m.every((e) => e.values!.reward !== undefined)).toBe(true);
  loads(grpo.events.filter((e) => e.type === "checkpoint").at(-1)!.path!);
}, 300_000);

it("refuses --processes that is not a whole number, naming the flag", () => {
  const r = train(["--mode", "sft", "--dataset", data, "--out", join(dir, "bad"), "--processes", "two"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("--processes");
});
