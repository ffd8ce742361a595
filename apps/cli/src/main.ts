/** The `trainyard` command. Each command group lives in commands/. */
import { Command, CommanderError } from "commander";
import { registerOps } from "./commands/ops.js";
import { registerExperiments } from "./commands/experiments.js";
import { registerEnv } from "./commands/env.js";
import { registerTrain } from "./commands/train.js";
import { registerDataset } from "./commands/dataset.js";
import { registerEval } from "./commands/eval.js";
import { registerMatrix } from "./commands/matrix.js";
import { registerModel } from "./commands/model.js";
import { CliError } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command("trainyard")
    .description("Trainyard: SFT-vs-RL generalization experiments, end to end")
    .option("--url <url>", "API base URL (default TRAINYARD_URL or http://127.0.0.1:8080)")
    .option("--key <key>", "API key (default TRAINYARD_API_KEY)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerOps(program);
  registerExperiments(program);
  registerEnv(program);
  registerTrain(program);
  registerDataset(program);
  registerEval(program);
  registerMatrix(program);
  registerModel(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander (naming the flag).
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof CliError) throw e;
    throw e;
  }
}
