/** `trainyard matrix EXPERIMENT_ID`: the generalization matrix drawn in the terminal. */
import type { Command } from "commander";
import { loadConfig } from "@trainyard/contracts";
import { ApiClient } from "../client.js";
import { CliError } from "../errors.js";

interface Cell {
  mean: number;
  ci95: [number, number];
  n: number;
  paper: number | null;
}
interface Matrix {
  task: string;
  selection: string;
  splits: string[];
  groups: Record<string, string>;
  paperModel: string | null;
  rows: {
    arm: string;
    method: string;
    data: string;
    target: string;
    cells: Record<string, Cell | null>;
    compute: Record<string, unknown>;
  }[];
  overlap: unknown;
}

const SHADES = [" ", "░", "▒", "▓", "█"];

/** A cell: percentage, a shade bar, and the paper's value in brackets when known. */
function fmt(c: Cell | null, color: boolean): string {
  if (!c) return "   —   ";
  const pct = `${Math.round(c.mean * 100)}`.padStart(3);
  const shade = SHADES[Math.min(4, Math.floor(c.mean * 5))]!;
  const paper = c.paper === null ? "" : ` (${Math.round(c.paper * 100)})`;
  const body = `${shade}${pct}%${paper}`;
  if (!color) return body;
  const g = Math.round(c.mean * 5);
  return `\x1b[38;5;${[196, 202, 214, 148, 112, 40][g]}m${body}\x1b[0m`;
}

export function renderMatrix(m: Matrix, color = false): string {
  const w = 14;
  const lines: string[] = [];
  lines.push(`${m.task} — success rate (checkpoint rule: ${m.selection}${m.paperModel ? `; paper ${m.paperModel} in brackets` : ""})`);
  lines.push("".padEnd(16) + m.splits.map((s) => `${s}${m.groups[s] === "fake" ? "*" : ""}`.padEnd(w)).join(""));
  for (const r of m.rows) {
    const cells = m.splits.map((s) => {
      const text = fmt(r.cells[s] ?? null, false);
      return fmt(r.cells[s] ?? null, color) + " ".repeat(Math.max(1, w - text.length));
    });
    lines.push(r.arm.padEnd(16) + cells.join(""));
  }
  lines.push("* Fake: the prompt announces new labels the environment ignores; high = the model ignored the instruction.");
  const ci = m.rows.flatMap((r) => m.splits.map((s) => r.cells[s])).find((c) => c);
  if (ci) lines.push(`95 % bootstrap CIs and paired differences: trainyard matrix ID --json (n per cell: ${ci.n}).`);
  return lines.join("\n");
}

export function registerMatrix(program: Command): void {
  program
    .command("matrix")
    .description("print an experiment's generalization matrix (arms × splits)")
    .argument("<experimentId>", "experiment id")
    .option("--select <rule>", "checkpoint rule: paper | ours | last", "paper")
    .option("--json", "print the full matrix JSON (CIs, paired differences, overlap, compute)")
    .option("--csv", "print CSV")
    .action(async (id: string, opts: { select: string; json?: boolean; csv?: boolean }) => {
      if (!["paper", "ours", "last"].includes(opts.select))
        throw new CliError(`--select: expected paper, ours or last, got '${opts.select}'`);
      const g = program.opts<{ url?: string; key?: string }>();
      const config = loadConfig();
      const api = new ApiClient({ url: g.url ?? config.TRAINYARD_URL, key: g.key ?? config.TRAINYARD_API_KEY });
      const path = `/v1/experiments/${encodeURIComponent(id)}/matrix?select=${opts.select}`;
      if (opts.csv) return void process.stdout.write(await api.text(`${path}&format=csv`));
      const m = await api.request<Matrix>("GET", path);
      if (opts.json) return void process.stdout.write(JSON.stringify(m, null, 2) + "\n");
      process.stdout.write(renderMatrix(m, Boolean(process.stdout.isTTY)) + "\n");
    });
}
