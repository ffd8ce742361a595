/** Researcher commands over the REST API: submit, ls, get, watch, logs, open, cancel. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig, type ExperimentResponse as Experiment, type ExperimentSummary } from "@trainyard/contracts";
import { ApiClient } from "../client.js";
import { CliError } from "../errors.js";
import { ProgressBar } from "../progress.js";

function client(program: Command): ApiClient {
  const g = program.opts<{ url?: string; key?: string }>();
  const config = loadConfig();
  return new ApiClient({ url: g.url ?? config.TRAINYARD_URL, key: g.key ?? config.TRAINYARD_API_KEY });
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

function printJobs(e: Experiment): void {
  for (const j of e.jobs ?? []) {
    const err = j.error ? `  ${j.error.code}: ${j.error.message}` : "";
    process.stdout.write(`  ${j.name.padEnd(28)} ${j.state.padEnd(16)} ${(j.progress * 100).toFixed(0).padStart(3)}%${err}\n`);
  }
}

/** Follow an experiment's SSE stream with a progress bar until it finishes. */
export async function watchExperiment(api: ApiClient, id: string): Promise<Experiment> {
  const bar = new ProgressBar(id.slice(0, 8));
  let last = await api.request<Experiment>("GET", `/v1/experiments/${id}`);
  bar.update(last.progress, last.state);
  if (!TERMINAL.has(last.state)) {
    for await (const ev of api.stream(`/v1/experiments/${id}/events/stream`)) {
      const d = ev.data as { type: string; data: { state?: string; message?: string } };
      if (d.type === "status" || d.type === "metrics") {
        last = await api.request<Experiment>("GET", `/v1/experiments/${id}`);
        const running = last.jobs?.filter((j) => j.state === "running").map((j) => j.name) ?? [];
        bar.update(last.progress, `${last.state}${running.length ? ` · ${running.join(", ")}` : ""}`);
      }
    }
    last = await api.request<Experiment>("GET", `/v1/experiments/${id}`);
  }
  bar.done(last.state);
  return last;
}

export function registerExperiments(program: Command): void {
  program
    .command("submit")
    .description("submit an experiment from a spec file and/or a preset")
    .argument("[spec]", "JSON spec file (a full spec, or overrides of --preset)")
    .option("--preset <name>", "paper-sokoban | paper-general-points | clean-sokoban | demo-cpu | repro-cpu | demo-cpu-gp")
    .option("--idempotency-key <key>", "retry-safe submission key")
    .option("--watch", "follow progress until the experiment finishes")
    .option("--json", "print the created experiment as JSON")
    .action(async (specPath: string | undefined, opts: { preset?: string; idempotencyKey?: string; watch?: boolean; json?: boolean }) => {
      let body: Record<string, unknown> = {};
      if (specPath) {
        try {
          body = JSON.parse(readFileSync(specPath, "utf8")) as Record<string, unknown>;
        } catch (e) {
          throw new CliError(`[spec] ${specPath}: ${(e as Error).message}`);
        }
      }
      if (opts.preset) body = { ...body, preset: opts.preset };
      if (!specPath && !opts.preset) throw new CliError("give a spec file or --preset NAME");
      const api = client(program);
      const exp = await api.request<Experiment>(
        "POST",
        "/v1/experiments",
        body,
        opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {},
      );
      if (opts.json) process.stdout.write(JSON.stringify(exp, null, 2) + "\n");
      else {
        process.stdout.write(`experiment ${exp.id} (${exp.name}) ${exp.state}\n`);
        printJobs(exp);
      }
      if (opts.watch) {
        const done = await watchExperiment(api, exp.id);
        printJobs(done);
        if (done.state !== "succeeded") process.exitCode = 1;
      }
    });

  program
    .command("ls")
    .description("list experiments, newest first")
    .option("--state <state>", "filter by state")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (opts: { state?: string; limit: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: opts.limit, ...(opts.state ? { state: opts.state } : {}) });
      const page = await client(program).request<{ items: ExperimentSummary[] }>("GET", `/v1/experiments?${q}`);
      if (opts.json) return void process.stdout.write(JSON.stringify(page.items, null, 2) + "\n");
      for (const e of page.items) {
        process.stdout.write(
          `${e.id}  ${e.state.padEnd(16)} ${(e.progress * 100).toFixed(0).padStart(3)}%  ${e.task.padEnd(15)} ${e.name}\n`,
        );
      }
    });

  program
    .command("get")
    .description("show an experiment and its jobs")
    .argument("<id>", "experiment id")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const e = await client(program).request<Experiment>("GET", `/v1/experiments/${encodeURIComponent(id)}`);
      if (opts.json) return void process.stdout.write(JSON.stringify(e, null, 2) + "\n");
      process.stdout.write(`${e.id} ${e.name} ${e.state} ${(e.progress * 100).toFixed(0)}%\n`);
      printJobs(e);
    });

  program
    .command("watch")
    .description("follow an experiment until it finishes")
    .argument("<id>", "experiment id")
    .action(async (id: string) => {
      const done = await watchExperiment(client(program), id);
      printJobs(done);
      if (done.state !== "succeeded") process.exitCode = 1;
    });

  program
    .command("logs")
    .description("print a job's events (logs, metrics, status)")
    .argument("<jobId>", "job id")
    .option("-f, --follow", "keep streaming until the job finishes (resumes after a dropped connection)")
    .action(async (jobId: string, opts: { follow?: boolean }) => {
      const api = client(program);
      const print = (e: { seq: number; type: string; createdAt: string; data: Record<string, unknown> }) => {
        const body = e.type === "log" ? String(e.data.message) : JSON.stringify(e.data);
        process.stdout.write(`${e.createdAt} ${e.type.padEnd(10)} ${body}\n`);
      };
      if (opts.follow) {
        for await (const ev of api.stream(`/v1/jobs/${encodeURIComponent(jobId)}/events/stream`)) print(ev.data as never);
        return;
      }
      let after = 0;
      for (;;) {
        const page = await api.request<{
          items: { seq: number; type: string; createdAt: string; data: Record<string, unknown> }[];
          nextAfter: number;
        }>("GET", `/v1/jobs/${encodeURIComponent(jobId)}/events?after=${after}&limit=1000`);
        page.items.forEach(print);
        if (page.items.length < 1000) break;
        after = page.nextAfter;
      }
    });

  program
    .command("open")
    .description("print the dashboard URL of an experiment")
    .argument("<id>", "experiment id")
    .action(async (id: string) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        throw new CliError(`<id>: '${id}' is not an experiment id (a UUID, as \`trainyard ls\` prints them)`);
      }
      const g = program.opts<{ url?: string; key?: string }>();
      const config = loadConfig();
      const base = (g.url ?? config.TRAINYARD_URL).replace(/\/+$/, "");
      // With a key, make sure the link leads somewhere; without one, the URL is still right.
      if (g.key ?? config.TRAINYARD_API_KEY) await client(program).request("GET", `/v1/experiments/${encodeURIComponent(id)}`);
      process.stdout.write(`${base}/experiments/${id.toLowerCase()}\n`);
    });

  program
    .command("cancel")
    .description("cancel an experiment (running jobs are stopped)")
    .argument("<id>", "experiment id")
    .action(async (id: string) => {
      const e = await client(program).request<Experiment>("POST", `/v1/experiments/${encodeURIComponent(id)}/cancel`);
      process.stdout.write(`${e.id} ${e.state}\n`);
    });
}
