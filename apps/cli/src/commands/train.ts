/**
 * `trainyard train`: run the trainer without the service, on the local process backend.
 * Events are drawn as a progress bar (stderr) or, with --json, printed raw (stdout).
 * `--model tiny|DIR|HF_ID` picks the weights (tiny: built from scratch on the training rows),
 * `--lora [RANK]` trains a PEFT adapter instead of every weight.
 */
import { existsSync, readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { GrpoTrainerConfig, SftTrainerConfig, loadConfig } from "@trainyard/contracts";
import { CliError } from "../errors.js";
import { ProgressBar } from "../progress.js";

interface TrainOpts {
  mode: string;
  dataset: string;
  out: string;
  arm?: string;
  model: string;
  lora?: string | boolean;
  initFrom?: string;
  maxSteps?: string;
  processes?: string;
  config?: string;
  json?: boolean;
}

/** 1 when this machine shows an NVIDIA GPU (the process backend then leaves CUDA_VISIBLE_DEVICES alone). */
export function visibleGpus(): number {
  return existsSync("/dev/nvidia0") || existsSync("/proc/driver/nvidia/gpus") ? 1 : 0;
}

/** A dataset directory's training file for an arm, or a JSONL file given directly. */
function trainFile(dataset: string, arm: string | undefined): { file: string; template: "raw" | "chat" } {
  const p = resolve(dataset);
  if (!existsSync(p)) throw new CliError(`--dataset: ${dataset} does not exist`);
  const manifestPath = join(p, "manifest.json");
  let template: "raw" | "chat" = "raw";
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as { template?: string; templateMode?: string };
    template = (m.template ?? m.templateMode) === "chat" ? "chat" : "raw";
  }
  if (p.endsWith(".jsonl")) return { file: p, template };
  const dir = join(p, "train");
  if (!existsSync(dir)) throw new CliError(`--dataset: ${dataset} has no train/ directory (build one with \`trainyard dataset build\`)`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
  const name = arm ?? (files.includes("frozen-answer.jsonl") ? "frozen-answer" : files[0]?.replace(/\.jsonl$/, ""));
  if (!name || !files.includes(`${name}.jsonl`))
    throw new CliError(
      `--arm: no train/${name ?? "?"}.jsonl in ${dataset}; one of: ${files.map((f) => f.replace(/\.jsonl$/, "")).join(", ")}`,
    );
  return { file: join(dir, `${name}.jsonl`), template };
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("run the trainer locally without the service (SFT or GRPO)")
    .requiredOption("--mode <mode>", "sft | grpo")
    .requiredOption("--dataset <dir>", "a built dataset directory (or a training JSONL file)")
    .requiredOption("--out <dir>", "output directory for checkpoints")
    .option("--arm <name>", "training file of the dataset: frozen-answer | diverse-answer | frozen-cot | diverse-cot")
    .option("--model <model>", "tiny (built from scratch), a model directory, or a Hugging Face model id", "tiny")
    .option("--lora [rank]", "train a LoRA adapter (PEFT) of this rank instead of every weight (default rank 32)")
    .option("--init-from <dir>", "checkpoint directory to start from (e.g. GRPO warm-started from SFT; full or LoRA)")
    .option("--max-steps <n>", "optimizer steps")
    .option(
      "--processes <n>",
      "training processes (ranks) on this machine: one per GPU, or gloo ranks on CPU; the trainer launches them (DDP, or FSDP for full-parameter GPU runs)",
    )
    .option("--config <file>", "JSON file of extra trainer config fields (see infra/trainer/PROTOCOL.md)")
    .option("--json", "print the raw protocol event lines on stdout")
    .action(async (opts: TrainOpts) => {
      if (opts.mode !== "sft" && opts.mode !== "grpo") throw new CliError(`--mode: expected sft or grpo, got '${opts.mode}'`);
      let lora: { rank: number } | null = null;
      if (opts.lora !== undefined) {
        const rank = opts.lora === true ? 32 : Number(opts.lora);
        if (!Number.isInteger(rank) || rank < 1 || rank > 512)
          throw new CliError(`--lora: expected a rank from 1 to 512, got '${String(opts.lora)}'`);
        lora = { rank };
      }
      if (/^[./~]/.test(opts.model) && !existsSync(opts.model)) throw new CliError(`--model: ${opts.model} does not exist`);
      if (opts.maxSteps !== undefined && !/^\d+$/.test(opts.maxSteps))
        throw new CliError(`--max-steps: expected a positive integer, got '${opts.maxSteps}'`);
      if (opts.processes !== undefined && !(/^\d+$/.test(opts.processes) && Number(opts.processes) >= 1 && Number(opts.processes) <= 64))
        throw new CliError(`--processes: expected a whole number from 1 to 64, got '${opts.processes}'`);
      if (opts.initFrom && !existsSync(opts.initFrom)) throw new CliError(`--init-from: ${opts.initFrom} does not exist`);
      let extra: Record<string, unknown> = {};
      if (opts.config) {
        try {
          extra = JSON.parse(readFileSync(opts.config, "utf8")) as Record<string, unknown>;
        } catch (e) {
          throw new CliError(`--config: ${(e as Error).message}`);
        }
      }
      const { file, template } = trainFile(opts.dataset, opts.arm);
      const out = resolve(opts.out);
      mkdirSync(out, { recursive: true });
      const { repoRoot } = await import("@trainyard/db");
      const root = repoRoot();
      // A directory is passed as an absolute path; anything else that is not `tiny` is a hub id.
      const model = opts.model !== "tiny" && existsSync(opts.model) ? resolve(opts.model) : opts.model;
      const raw = {
        model,
        ...(lora ? { lora } : {}),
        train_file: file,
        output_dir: out,
        template,
        ...(opts.initFrom ? { init_from: resolve(opts.initFrom) } : {}),
        ...(opts.maxSteps ? { max_steps: Number(opts.maxSteps) } : {}),
        ...(opts.processes ? { processes: Number(opts.processes) } : {}),
        ...(opts.mode === "grpo"
          ? { reward_command: [process.execPath, join(root, "apps", "cli", "bin", "trainyard.js"), "env", "batch"] }
          : {}),
        ...extra,
      };
      const parsed = (opts.mode === "sft" ? SftTrainerConfig : GrpoTrainerConfig).safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new CliError(`--config: ${i.path.join(".")}: ${i.message}`);
      }
      const configPath = join(out, `${opts.mode}-config.json`);
      writeFileSync(configPath, JSON.stringify(parsed.data, null, 2));

      const { ProcessBackend } = await import("@trainyard/compute");
      const { trainerPython } = await import("@trainyard/db");
      const config = loadConfig();
      const handle = await new ProcessBackend().start({
        runId: `cli-${process.pid}`,
        command: [trainerPython(config.TRAINYARD_PYTHON), "-m", "trainyard_trainer", opts.mode, "--config", configPath],
        env: { PYTHONPATH: join(root, "infra", "trainer") },
        artifactDir: out,
        // The trainer picks CUDA when it sees a GPU; gpus 0 would hide them.
        resources: { gpus: visibleGpus(), cpus: 1, memoryGiB: 4 },
      });
      const stop = () => void handle.cancel();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const bar = new ProgressBar(opts.mode);
      let failed: string | null = null;
      for await (const ev of handle.events()) {
        if (opts.json) {
          if (ev.type !== "line") process.stdout.write(JSON.stringify(ev) + "\n");
          else process.stderr.write(ev.line + "\n");
          if (ev.type === "error") failed = `${ev.code}: ${ev.message}`;
          continue;
        }
        switch (ev.type) {
          case "metrics": {
            const loss = ev.values.loss ?? ev.values.reward;
            bar.update(
              ev.max_steps ? ev.step / ev.max_steps : 0,
              `step ${ev.step}/${ev.max_steps}${loss !== undefined ? ` ${ev.values.loss !== undefined ? "loss" : "reward"} ${loss.toFixed(4)}` : ""}`,
            );
            break;
          }
          case "checkpoint":
            process.stderr.write(`\ncheckpoint step ${ev.step}: ${ev.path}\n`);
            break;
          case "log":
            if (ev.level !== "debug") process.stderr.write(`\n${ev.message}\n`);
            break;
          case "error":
            failed = `${ev.code}: ${ev.message}`;
            break;
          case "done":
            bar.done(`done at step ${ev.step}`);
            break;
          case "line":
            if (ev.stream === "stderr") process.stderr.write(`${ev.line}\n`);
            break;
          default:
            break;
        }
      }
      const exit = await handle.wait();
      if (failed) throw new CliError(failed, 1);
      if (exit.exitCode !== 0) throw new CliError(`the trainer exited with ${exit.signal ?? exit.exitCode}`, 1);
    });
}
