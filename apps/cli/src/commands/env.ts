/** `trainyard env batch` (JSON lines in/out) and `trainyard env show` (a level or task for a person). */
import type { Command } from "commander";
import { envIds, getEnv, handleBatchLine } from "@trainyard/envs";
import { CliError } from "../errors.js";

function int(flag: string, v: string): number {
  if (!/^\d{1,10}$/.test(v)) throw new CliError(`${flag}: expected a non-negative integer, got '${v}'`);
  return Number(v);
}

export function registerEnv(program: Command): void {
  const env = program.command("env").description("the Sokoban and General Points environments");

  env
    .command("batch")
    .description("read JSON requests (one per line) on stdin, write one JSON response per line on stdout, in order")
    .action(async () => {
      // One write per input chunk: every complete line in the chunk is answered together, so a
      // long-lived caller (the GRPO trainer) can pipeline thousands of requests, while an
      // interactive caller still gets each answer as soon as its line arrives.
      let rest = "";
      process.stdin.setEncoding("utf8");
      for await (const chunk of process.stdin as AsyncIterable<string>) {
        const text = rest + chunk;
        const lines = text.split("\n");
        rest = lines.pop() ?? "";
        const out = lines.filter((l) => l.trim() !== "").map((l) => handleBatchLine(l) + "\n");
        if (out.length && !process.stdout.write(out.join(""))) await new Promise((r) => process.stdout.once("drain", r));
      }
      if (rest.trim() !== "") process.stdout.write(handleBatchLine(rest) + "\n");
    });

  env
    .command("show")
    .description("draw a level or task in the terminal with its solution and exact prompt")
    .argument("<env>", envIds().join(" | "))
    .option("--setting <name>", "Sokoban setting (id, alpha, num, rand, large, two-boxes, complex, fake, train)", "id")
    .option("--seed <n>", "Sokoban level seed", "123")
    .option(
      "--split <name>",
      "General Points split (id, all-5, all-7, all-12, regular, large, five, fake, all-5-fake, train-diverse)",
      "id",
    )
    .option("--index <n>", "General Points task index", "0")
    .action((name: string, opts: { setting: string; seed: string; split: string; index: string }) => {
      // Exact ids only (no aliases), as before; each env names its own split and key flags.
      const task = getEnv(name);
      if (!task || task.id !== name) throw new CliError(`<env>: unknown env '${name}'; one of ${envIds().join(", ")}`);
      const flags = opts as unknown as Record<string, string>;
      const keyFlag = `--${task.keyName}`;
      try {
        process.stdout.write(task.show(flags[task.splitName]!, int(keyFlag, flags[task.keyName]!)) + "\n");
      } catch (e) {
        if (e instanceof CliError) throw e;
        const msg = (e as Error).message;
        const flag = new RegExp(task.keyName, "i").test(msg) ? keyFlag : `--${task.splitName}`;
        throw new CliError(`${flag}: ${msg}`);
      }
    });
}
