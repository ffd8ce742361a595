/**
 * The local Slurm cluster the slurm tests run against (`bash scripts/slurm.sh`). Where none answers
 * the tests are skipped, unless TRAINYARD_SLURM_TESTS=1 (CI sets it): then they fail.
 */
import { execFileSync } from "node:child_process";

export function slurmCluster(): boolean {
  try {
    execFileSync("sinfo", ["-h", "-o", "%T"], { stdio: "pipe", timeout: 20_000 });
    return true;
  } catch (e) {
    if (process.env.TRAINYARD_SLURM_TESTS === "1")
      throw new Error(`TRAINYARD_SLURM_TESTS=1 but no Slurm cluster answers (run \`bash scripts/slurm.sh\`): ${String(e)}`);
    return false;
  }
}

/** Run a Slurm command and return its stdout (tests use it to look at what Slurm recorded). */
export function slurmCmd(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
}

/** sacct's rows for a job (-D: each run of a requeued job): [state, exit code, account, qos, partition]. */
export function sacctRows(jobId: string): string[][] {
  return slurmCmd("sacct", ["-X", "-n", "-P", "-D", "-j", jobId, "-o", "State,ExitCode,Account,QOS,Partition"])
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|"));
}
