/**
 * `trainyard model serve DIR`: serve a checkpoint (any Hugging Face directory, full or LoRA) on an
 * OpenAI-compatible endpoint for a person to query, through the trainer's serve mode (vLLM on a
 * GPU where installed, else transformers). Prints the base URL and the model name once the
 * server answers, then stays in the foreground until Ctrl-C.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ServeTrainerConfig, loadConfig } from "@trainyard/contracts";
import { CliError } from "../errors.js";
import { visibleGpus } from "./train.js";

interface ServeOpts {
  port: string;
  host: string;
  name?: string;
  backend: string;
  json?: boolean;
}

export function registerModel(program: Command): void {
  const model = program.command("model").description("work with trained checkpoints");
  model
    .command("serve <dir>")
    .description("serve a checkpoint directory on an OpenAI-compatible endpoint (Ctrl-C stops it)")
    .option("--port <n>", "TCP port (0 = any free port)", "8000")
    .option("--host <addr>", "interface to listen on", "127.0.0.1")
    .option("--name <model>", "model name clients send (default: <run dir>/<checkpoint dir>)")
    .option("--backend <name>", "auto | transformers | vllm", "auto")
    .option("--json", "print one JSON line {baseURL, model} once serving")
    .action(async (dir: string, opts: ServeOpts) => {
      const path = resolve(dir);
      if (!existsSync(path)) throw new CliError(`DIR: ${dir} does not exist`);
      if (!existsSync(join(path, "config.json")) && !existsSync(join(path, "adapter_config.json")))
        throw new CliError(`DIR: ${dir} is not a model directory (no config.json or adapter_config.json)`);
      if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) throw new CliError(`--port: expected 0..65535, got '${opts.port}'`);
      const parsed = ServeTrainerConfig.safeParse({
        checkpoint: path,
        host: opts.host,
        port: Number(opts.port),
        backend: opts.backend,
        ...(opts.name ? { served_model_name: opts.name } : {}),
      });
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new CliError(`--${String(i.path[0] ?? "config").replace("served_model_name", "name")}: ${i.message}`);
      }
      const configPath = join(mkdtempSync(join(tmpdir(), "trainyard-serve-")), "serve.json");
      writeFileSync(configPath, JSON.stringify(parsed.data, null, 2));

      const { ProcessBackend } = await import("@trainyard/compute");
      const { repoRoot, trainerPython } = await import("@trainyard/db");
      const handle = await new ProcessBackend().start({
        runId: `cli-serve-${process.pid}`,
        command: [trainerPython(loadConfig().TRAINYARD_PYTHON), "-m", "trainyard_trainer", "serve", "--config", configPath],
        env: { PYTHONPATH: join(repoRoot(), "infra", "trainer") },
        artifactDir: path,
        resources: { gpus: visibleGpus(), cpus: 1, memoryGiB: 4 },
      });
      const stop = () => void handle.cancel();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let failed: string | null = null;
      process.stderr.write(`loading ${path} ...\n`);
      for await (const ev of handle.events()) {
        if (ev.type === "status" && ev.state === "serving" && ev.message) {
          const baseURL = `${ev.message}/v1`;
          const name = parsed.data.served_model_name || `${path.split("/").at(-2)}/${path.split("/").at(-1)}`;
          if (opts.json) process.stdout.write(JSON.stringify({ baseURL, model: name }) + "\n");
          else {
            process.stdout.write(`base URL: ${baseURL}\nmodel:    ${name}\n`);
            process.stderr.write(
              `try: curl -s ${baseURL}/completions -H 'content-type: application/json' -d '{"model": "${name}", "prompt": "Hello", "max_tokens": 16}'\n` +
                `     trainyard eval --env sokoban --endpoint ${baseURL} --model ${name} --n 10\nCtrl-C stops the server.\n`,
            );
          }
        } else if (ev.type === "error") failed = `${ev.code}: ${ev.message}`;
        else if (ev.type === "line" && ev.stream === "stderr" && !opts.json) process.stderr.write(`${ev.line}\n`);
      }
      const exit = await handle.wait();
      if (failed) throw new CliError(failed, 1);
      if (exit.exitCode !== 0 && exit.signal !== "SIGTERM") throw new CliError(`the server exited with ${exit.signal ?? exit.exitCode}`, 1);
    });
}
