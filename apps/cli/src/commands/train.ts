/**
 * `trainyard train`: run the trainer without the service, on the local process backend.
 * Events are drawn as a progress bar (stderr) or, with --json, printed raw (stdout).
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
  engine: string;
  arm?: string;
  model?: string;
  initFrom?: string;
  maxSteps?: string;
  config?: string;
  json?: boolean;
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
    .option("--engine <engine>", "cpu | hf", "cpu")
    .option("--arm <name>", "training file of the dataset: frozen-answer | diverse-answer | frozen-cot | diverse-cot")
    .option("--model <id>", "Hugging Face model id (engine hf)")
    .option("--init-from <dir>", "checkpoint directory to start from (GRPO warm start)")
    .option("--max-steps <n>", "optimizer steps")
    .option("--config <file>", "JSON file of extra trainer config fields (see infra/trainer/PROTOCOL.md)")
    .option("--json", "print the raw protocol event lines on stdout")
    .action(async (opts: TrainOpts) => {
      if (opts.mode !== "sft" && opts.mode !== "grpo") throw new CliError(`--mode: expected sft or grpo, got '${opts.mode}'`);
      if (opts.engine !== "cpu" && opts.engine !== "hf") throw new CliError(`--engine: expected cpu or hf, got '${opts.engine}'`);
      if (opts.maxSteps !== undefined && !/^\d+$/.test(opts.maxSteps))
        throw new CliError(`--max-steps: expected a positive integer, got '${opts.maxSteps}'`);
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
      const raw = {
        engine: opts.engine,
        ...(opts.model ? { model_id: opts.model } : {}),
        train_file: file,
        output_dir: out,
        template,
        ...(opts.initFrom ? { init_from: resolve(opts.initFrom) } : {}),
        ...(opts.maxSteps ? { max_steps: Number(opts.maxSteps) } : {}),
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
      const config = loadConfig();
      const handle = await new ProcessBackend().start({
        runId: `cli-${process.pid}`,
        command: [config.TRAINER_PYTHON, "-m", "trainyard_trainer", opts.mode, "--config", configPath],
        env: { PYTHONPATH: join(root, "infra", "trainer") },
        artifactDir: out,
        resources: { gpus: opts.engine === "hf" ? 1 : 0, cpus: 1, memoryGiB: 4 },
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
