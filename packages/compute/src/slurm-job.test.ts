import { describe, expect, it } from "vitest";
import {
  batchScript,
  isReplayed,
  parseSacct,
  parseSqueue,
  pendingBlocked,
  runOutcome,
  sbatchArgs,
  shellQuote,
  SLURM_STATES,
  slurmRunExit,
  validateLaunchSpec,
  type LaunchSpec,
  type SbatchOptions,
  type SlurmJob,
} from "./index.js";

const spec: LaunchSpec = {
  runId: "job-1-a2",
  command: ["/venv/bin/python", "-m", "trainyard_trainer", "sft", "--config", "/art/x y/it's.json"],
  env: { A: "1" },
  artifactDir: "/art",
  resources: { gpus: 2, cpus: 1.5, memoryGiB: 0.5 },
  timeoutSeconds: 90,
  partition: "gpu",
  account: "lab",
  qos: "high",
};
const opts: SbatchOptions = {
  name: "ty-job-1-a2",
  runDir: "/art/slurm/ty-job-1-a2",
  container: "none",
  gpuGres: "gpu",
  extraArgs: ["--constraint=a100"],
};

describe("sbatch arguments", () => {
  it("asks for the spec's resources, time (whole minutes, rounded up) and placement", () => {
    expect(sbatchArgs(spec, opts)).toEqual([
      "--parsable",
      "--job-name=ty-job-1-a2",
      "--output=/art/slurm/ty-job-1-a2/stdout.log",
      "--error=/art/slurm/ty-job-1-a2/stderr.log",
      "--open-mode=append",
      "--chdir=/art/slurm/ty-job-1-a2",
      "--export=ALL",
      "--requeue",
      "--constraint=a100",
      "--nodes=1",
      "--ntasks=1",
      "--cpus-per-task=2",
      "--mem=512M",
      "--gres=gpu:2",
      "--time=2",
      "--partition=gpu",
      "--account=lab",
      "--qos=high",
    ]);
  });

  it("leaves out what the spec does not ask for", () => {
    const bare = sbatchArgs(
      { runId: "r", command: ["x"], env: {}, artifactDir: "/a", resources: { gpus: 0, cpus: 1, memoryGiB: 4 }, workdir: "/w" },
      { ...opts, extraArgs: [] },
    );
    expect(bare.filter((a) => /^--(gres|time|partition|account|qos|constraint)/.test(a))).toEqual([]);
    expect(bare).toContain("--chdir=/w");
    expect(bare).toContain("--mem=4096M");
  });
});

describe("batch script", () => {
  it("stops a requeued re-run and execs the command, quoted", () => {
    expect(batchScript(spec, opts)).toBe(
      [
        "#!/bin/bash",
        "# Trainyard run job-1-a2, written by the slurm compute backend.",
        "# A requeued job re-runs this script: Trainyard resumes the run itself, from its last",
        "# checkpoint in a new attempt, so a re-run stops here.",
        'if [ "${SLURM_RESTART_COUNT:-0}" != 0 ]; then',
        '  echo "trainyard: Slurm requeued job ${SLURM_JOB_ID} (restart ${SLURM_RESTART_COUNT}); the worker resumes the run from its last checkpoint in a new attempt" >&2',
        "  exit 75",
        "fi",
        `exec /venv/bin/python -m trainyard_trainer sft --config '/art/x y/it'\\''s.json'`,
        "",
      ].join("\n"),
    );
  });

  it("runs the command in pyxis or Apptainer with the artifact store mounted", () => {
    const inImage = { ...spec, artifactMountPath: "/artifacts", workdir: "/work" };
    const pyxis = batchScript(inImage, { ...opts, container: "pyxis", image: "nvcr.io#nvidia/pytorch:24.05-py3" });
    expect(pyxis).toContain(
      "exec srun --ntasks=1 '--container-image=nvcr.io#nvidia/pytorch:24.05-py3' --container-mounts=/art:/artifacts --container-workdir=/work /venv/bin/python",
    );
    const apptainer = batchScript(inImage, { ...opts, container: "apptainer", image: "/images/trainer.sif" });
    expect(apptainer).toContain("exec apptainer exec --bind /art:/artifacts --pwd /work --nv /images/trainer.sif /venv/bin/python");
  });

  it("quotes like a POSIX shell", () => {
    expect(shellQuote("plain/path-1.json")).toBe("plain/path-1.json");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$(rm -rf /)")).toBe("'$(rm -rf /)'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe("launch spec checks for slurm", () => {
  it("takes no image requirement and checks Slurm names", () => {
    expect(() => validateLaunchSpec({ ...spec, image: undefined }, "slurm")).not.toThrow();
    expect(() => validateLaunchSpec({ ...spec, partition: "gpu;rm" }, "slurm")).toThrow(/partition/);
    expect(() => validateLaunchSpec({ ...spec, image: "x" }, "process")).toThrow(/only used by the slurm backend|image/);
    expect(() => validateLaunchSpec({ ...spec, image: "x", partition: undefined, account: undefined }, "docker")).toThrow(/qos/);
  });
});

describe("squeue and sacct output", () => {
  it("parses squeue's fields and its raw wait status", () => {
    const jobs = parseSqueue(
      ["41|PENDING|PartitionDown|0|n/a|0|", "42|FAILED|NonZeroExitCode|0|vm|768|", "43|FAILED|JobLaunchFailure|1|node7|9|", "junk"].join(
        "\n",
      ),
    );
    expect(jobs.get("41")).toEqual({
      id: "41",
      state: "PENDING",
      reason: "PartitionDown",
      restarts: 0,
      node: null,
      exitCode: 0,
      signal: null,
    });
    expect(jobs.get("42")).toMatchObject({ exitCode: 3, signal: null, node: "vm" });
    expect(jobs.get("43")).toMatchObject({ exitCode: null, signal: 9, restarts: 1, node: "node7" });
    expect(jobs.size).toBe(3);
  });

  it("parses sacct rows, the last run of a requeued job being the current one", () => {
    const jobs = parseSacct(
      ["2|REQUEUED|0:0|None|vm", "2|CANCELLED by 0|0:0|None|None assigned", "3|TIMEOUT|0:15|TimeLimit|vm", "4|FAILED|0:9|None|vm,vm2"].join(
        "\n",
      ),
    );
    expect(jobs.get("2")).toEqual({
      id: "2",
      state: "CANCELLED",
      reason: "None",
      restarts: 1,
      node: null,
      exitCode: 0,
      signal: null,
      earlier: ["REQUEUED"],
    });
    expect(jobs.get("3")).toMatchObject({ state: "TIMEOUT", signal: 15, exitCode: null, restarts: 0 });
    expect(jobs.get("4")).toMatchObject({ node: "vm", signal: 9 });
  });
});

describe("state mapping", () => {
  const job = (state: string, extra: Partial<SlurmJob> = {}): SlurmJob => ({
    id: "7",
    state,
    reason: "None",
    restarts: 0,
    node: "vm",
    exitCode: 0,
    signal: null,
    ...extra,
  });
  const seen = { cancelRequested: false, oomLine: false };

  it("maps every ended state to an exit reason and a job outcome", () => {
    const expected: Record<string, [string, string]> = {
      COMPLETED: ["exited", "succeeded"],
      FAILED: ["exited", "TY_ERR_COMPUTE_CRASHED"],
      SPECIAL_EXIT: ["exited", "TY_ERR_COMPUTE_CRASHED"],
      CANCELLED: ["cancelled", "cancelled"],
      TIMEOUT: ["timeout", "TY_ERR_COMPUTE_TIMED_OUT"],
      DEADLINE: ["timeout", "TY_ERR_COMPUTE_TIMED_OUT"],
      OUT_OF_MEMORY: ["oom", "TY_ERR_COMPUTE_OOM"],
      PREEMPTED: ["preempted", "TY_ERR_COMPUTE_PREEMPTED"],
      NODE_FAIL: ["lost", "TY_ERR_COMPUTE_LOST"],
      BOOT_FAIL: ["lost", "TY_ERR_COMPUTE_LOST"],
      REVOKED: ["lost", "TY_ERR_COMPUTE_LOST"],
    };
    const ended = Object.entries(SLURM_STATES)
      .filter(([, i]) => i.phase === "ended")
      .map(([s]) => s);
    expect(ended.sort()).toEqual(Object.keys(expected).sort());
    for (const [state, [reason, outcome]] of Object.entries(expected)) {
      const exit = slurmRunExit(job(state, { exitCode: state === "COMPLETED" ? 0 : 1 }), seen);
      expect(exit.reason, state).toBe(reason);
      const o = runOutcome(exit, { lastTerminal: null });
      expect(o.outcome === "failed" ? o.code : o.outcome, state).toBe(state === "COMPLETED" ? "TY_ERR_COMPUTE_CRASHED" : outcome);
    }
    // COMPLETED is a success only with the trainer's done event (exit 0 alone is not enough).
    expect(runOutcome(slurmRunExit(job("COMPLETED"), seen), { lastTerminal: { type: "done", step: 1, result: {} } })).toEqual({
      outcome: "succeeded",
    });
  });

  it("lets the backend's view win over a trainer that printed done after SIGTERM", () => {
    const done = { lastTerminal: { type: "done" as const, step: 3, result: { stopped_early: true } } };
    expect(runOutcome(slurmRunExit(job("TIMEOUT", { signal: 15, exitCode: null }), seen), done)).toMatchObject({
      failureKind: "timed_out",
    });
    const requeued = slurmRunExit(job("CANCELLED", { restarts: 1, earlier: ["REQUEUED"] }), seen);
    expect(requeued.reason).toBe("preempted");
    expect(requeued.message).toContain("requeued 1 time(s) after REQUEUED");
    expect(runOutcome(requeued, done)).toMatchObject({ failureKind: "infra_error", code: "TY_ERR_COMPUTE_PREEMPTED" });
  });

  it("tells our cancel from someone else's, and slurmstepd's memory kill from a crash", () => {
    expect(slurmRunExit(job("CANCELLED"), { ...seen, cancelRequested: true }).reason).toBe("cancelled");
    expect(slurmRunExit(job("CANCELLED"), seen).message).toContain("cancelled outside Trainyard");
    // A cancel requested by us wins even when the job also got requeued meanwhile.
    expect(slurmRunExit(job("CANCELLED", { restarts: 1 }), { ...seen, cancelRequested: true }).reason).toBe("cancelled");
    const oom = slurmRunExit(job("FAILED", { exitCode: null, signal: 9 }), { ...seen, oomLine: true });
    expect(oom).toMatchObject({ reason: "oom", signal: "SIGKILL", exitCode: null });
    expect(slurmRunExit(job("FAILED", { exitCode: null, signal: 9 }), seen).reason).toBe("exited");
    expect(slurmRunExit(job("SOMETHING_NEW"), seen)).toMatchObject({ reason: "lost" });
  });

  it("maps running and pending states to a run status, and says which pending reasons will not pass", () => {
    expect(SLURM_STATES.PENDING!.status).toBe("pending");
    expect(SLURM_STATES.COMPLETING!.status).toBe("running");
    expect(SLURM_STATES.COMPLETED!.status).toBe("succeeded");
    for (const r of [
      "PartitionDown",
      "PartitionTimeLimit",
      "InvalidQOS",
      "QOSMaxWallDurationPerJobLimit",
      "ReqNodeNotAvail, UnavailableNodes:n1",
    ])
      expect(pendingBlocked(r), r).toBe(true);
    for (const r of ["Priority", "Resources", "BeginTime", "Dependency", "None"]) expect(pendingBlocked(r), r).toBe(false);
  });
});

describe("replayed events", () => {
  it("compares an event's own stream with what an earlier reader had handled", () => {
    const seen = { stdout: 100, stderr: 40 };
    const out = { type: "status", state: "training" } as const;
    const err = { type: "line", stream: "stderr", line: "x" } as const;
    expect(isReplayed(out, { stdout: 100, stderr: 0 }, seen)).toBe(true);
    expect(isReplayed(out, { stdout: 101, stderr: 0 }, seen)).toBe(false);
    expect(isReplayed(err, { stdout: 500, stderr: 40 }, seen)).toBe(true);
    expect(isReplayed(err, { stdout: 0, stderr: 41 }, seen)).toBe(false);
    expect(isReplayed(out, { stdout: 0, stderr: 0 }, null)).toBe(false);
  });
});
