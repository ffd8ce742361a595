/**
 * `trainyard eval`: evaluate any model behind an OpenAI-compatible (or Hugging Face) endpoint on
 * Sokoban or General Points splits, without the service. Progress on stderr; a table on stdout,
 * or with `--json` exactly one JSON object `{"splits": {"<split>": {success, validity, n, ...}}}`.
 * Every usage error names its flag and is raised before any request is sent.
 */
import type { Command } from "commander";
import {
  PROVIDERS,
  createModelClient,
  evaluate,
  normalizeEndpoint,
  parseEnv,
  type EvalEnv,
  type EvalReport,
  type FetchLike,
  type Provider,
  type Sampling,
  type SplitMetrics,
  type TemplateMode,
} from "@trainyard/eval";
import { envIds, requireEnv, templateFor } from "@trainyard/envs";
import { CliError } from "../errors.js";
import { ProgressBar } from "../progress.js";

/** Flags as commander hands them over (strings, unparsed). */
export interface EvalFlags {
  env?: string;
  splits?: string;
  endpoint?: string;
  model?: string;
  n?: string;
  concurrency?: string;
  json?: boolean;
  apiKey?: string;
  temperature?: string;
  topP?: string;
  maxTokens?: string;
  seed?: string;
  template?: string;
  provider?: string;
  timeout?: string;
  retries?: string;
}

export interface EvalIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Show the progress bar (default true). */
  progress?: boolean;
  /** Transport for tests (a counting function, a local server). */
  fetch?: FetchLike;
}

interface Parsed {
  env: EvalEnv;
  splits: string[];
  endpoint: string;
  model: string;
  n: number;
  concurrency: number;
  sampling: Sampling;
  seed: number | undefined;
  template: TemplateMode;
  provider: Provider;
  timeoutMs: number;
  retries: number;
}

function int(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max)
    throw new CliError(`${flag}: expected an integer in ${min}..${max}, got '${v}'`);
  return Number(v);
}

function num(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || x < min || x > max)
    throw new CliError(`${flag}: expected a number in ${min}..${max}, got '${v}'`);
  return x;
}

export function parseEvalFlags(f: EvalFlags): Parsed {
  if (!f.env) throw new CliError(`--env: required (${envIds().join(" or ")})`);
  const env = parseEnv(f.env);
  if (!env) throw new CliError(`--env: unknown env '${f.env}'; one of ${envIds().join(", ")}`);
  const task = requireEnv(env);
  const splits = (f.splits ?? task.paperSplits.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (splits.length === 0) throw new CliError("--splits: at least one split is required");
  for (const s of splits) {
    if (!task.evalSplits.includes(s)) throw new CliError(`--splits: unknown split '${s}' for ${env}; one of ${task.evalSplits.join(", ")}`);
  }
  if (!f.endpoint) throw new CliError("--endpoint: required (the server's base URL, e.g. http://127.0.0.1:8000/v1)");
  let endpoint: string;
  try {
    endpoint = normalizeEndpoint(f.endpoint);
  } catch {
    throw new CliError(`--endpoint: expected an http(s) URL, got '${f.endpoint}'`);
  }
  if (!f.model) throw new CliError("--model: required (the served model name)");
  const template = templateFor(env, f.template as TemplateMode | undefined);
  if (template !== "raw" && template !== "chat") throw new CliError(`--template: expected raw or chat, got '${f.template}'`);
  const provider = (f.provider === "hf" ? "huggingface" : (f.provider ?? "openai")) as Provider;
  if (!PROVIDERS.includes(provider)) throw new CliError(`--provider: expected openai or huggingface, got '${f.provider}'`);
  const paper = task.sampling;
  return {
    env,
    splits: [...new Set(splits)],
    endpoint,
    model: f.model,
    n: int("--n", f.n, 1, task.maxEvalItems) ?? 100,
    concurrency: int("--concurrency", f.concurrency, 1, 4096) ?? 32,
    sampling: {
      temperature: num("--temperature", f.temperature, 0, 2) ?? paper.temperature,
      topP: num("--top-p", f.topP, 0, 1) ?? paper.topP,
      n: 1,
      maxTokens: int("--max-tokens", f.maxTokens, 1, 1_000_000) ?? paper.maxTokens,
    },
    seed: int("--seed", f.seed, 0, 2_147_483_647),
    template,
    provider,
    timeoutMs: (num("--timeout", f.timeout, 0.001, 86_400) ?? 600) * 1000,
    retries: int("--retries", f.retries, 0, 10) ?? 2,
  };
}

const fmt = (x: number) => x.toFixed(2);

export function renderTable(r: EvalReport): string {
  const s = r.sampling;
  const head =
    `${r.env} · ${r.model} · ${r.template} · temperature ${s.temperature} top-p ${s.topP} max-tokens ${s.maxTokens}` +
    (r.seed === null ? "" : ` seed ${r.seed}`) +
    ` · ${(r.durationMs / 1000).toFixed(1)} s\n`;
  const cols = ["split", "n", "success", "validity", "reward", "prompt tok", "compl. tok", "errors"];
  const rows = Object.entries(r.splits).map(([name, m]: [string, SplitMetrics]) => [
    name,
    String(m.n),
    fmt(m.success),
    fmt(m.validity),
    fmt(m.meanReward),
    String(m.promptTokens),
    String(m.completionTokens),
    String(m.endpointErrors),
  ]);
  const width = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join("  ") + "\n";
  return head + line(cols) + rows.map(line).join("");
}

/** The `--json` document: one object, `splits` keyed by split name. */
export function jsonSummary(r: EvalReport): { splits: Record<string, SplitMetrics> } {
  const splits: Record<string, SplitMetrics> = {};
  for (const [name, m] of Object.entries(r.splits)) splits[name] = { ...m };
  return { splits };
}

export async function runEvalCommand(flags: EvalFlags, io: EvalIo): Promise<EvalReport> {
  const p = parseEvalFlags(flags);
  const client = createModelClient(p.provider, {
    baseURL: p.endpoint,
    model: p.model,
    apiKey: flags.apiKey,
    fetch: io.fetch,
    maxInFlight: p.concurrency,
    timeoutMs: p.timeoutMs,
    retry: { maxRetries: p.retries },
  });
  const bar = io.progress === false ? null : new ProgressBar(`eval ${p.env}`);
  const total = p.splits.length * p.n;
  let report: EvalReport;
  try {
    report = await evaluate({
      env: p.env,
      splits: p.splits,
      n: p.n,
      client,
      template: p.template,
      sampling: p.sampling,
      seed: p.seed,
      concurrency: p.concurrency,
      onProgress: (g) =>
        bar?.update(g.done / total, `${g.done}/${total} · success ${fmt(g.successes / g.done)} · endpoint errors ${g.endpointErrors}`),
    });
  } finally {
    await client.close();
  }
  bar?.done(`${total}/${total}`);
  io.stdout(flags.json ? JSON.stringify(jsonSummary(report)) + "\n" : renderTable(report));
  const failed = Object.values(report.splits).reduce((a, m) => a + m.endpointErrors, 0);
  if (failed > 0) {
    const first = report.items.find((i) => i.error)?.error;
    io.stderr(`trainyard eval: ${failed} of ${total} items failed at the endpoint (${first?.kind}: ${first?.message})\n`);
    // Nothing was scored at all: the results say nothing about the model.
    if (failed === total) process.exitCode = 1;
  }
  return report;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate a model behind an OpenAI-compatible or Hugging Face endpoint on Sokoban / General Points splits")
    .option("--env <name>", "sokoban | general-points (gp)")
    .option("--splits <list>", "comma-separated splits (default: the paper's eight columns)")
    .option("--endpoint <url>", "server base URL, e.g. http://127.0.0.1:8000/v1")
    .option("--model <name>", "model name the server serves")
    .option("--n <count>", "items per split, the paper's first N (default 100)")
    .option("--concurrency <k>", "items in flight (default 32)")
    .option("--json", "print one JSON object on stdout instead of a table")
    .option("--api-key <key>", "bearer token for the endpoint")
    .option("--temperature <t>", "sampling temperature (default 0.5, the paper's)")
    .option("--top-p <p>", "nucleus sampling (default 1)")
    .option("--max-tokens <k>", "new tokens at most (default 4096 Sokoban, 8192 GP)")
    .option("--seed <s>", "base of per-request seeds (default: none sent)")
    .option("--template <mode>", "raw (/v1/completions) or chat (/v1/chat/completions); default raw for Sokoban, chat for GP")
    .option("--provider <name>", "openai (any OpenAI-compatible server) or huggingface (default openai)")
    .option("--timeout <seconds>", "per-request timeout (default 600)")
    .option("--retries <k>", "retries per request on 408/409/429/5xx and connection errors (default 2)")
    .action(async (flags: EvalFlags) => {
      await runEvalCommand(flags, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
    });
}
