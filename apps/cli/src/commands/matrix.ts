/** `trainyard matrix EXPERIMENT_ID`: the generalization matrix drawn in the terminal. */
import type { Command } from "commander";
import { loadConfig, type CurvesResponse as Curves, type MatrixCell as Cell, type MatrixResponse as Matrix } from "@trainyard/contracts";
import { ApiClient } from "../client.js";
import { CliError } from "../errors.js";

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

/** How the matrix words a task: what its Fake column measures, and what one evaluation item is. */
const TASK_WORDS: Record<string, { fake: string; item: string }> = {
  sokoban: {
    fake: "* Fake: the prompt announces new labels the environment ignores; high = the model ignored the instruction.",
    item: "levels",
  },
  "general-points": {
    fake: "* Fake: the prompt gives J/Q/K values the scoring ignores (they score 10); high = the model ignored the instruction.",
    item: "tasks",
  },
};

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
  lines.push("".padEnd(16) + "95 % bootstrap CI per cell:");
  for (const r of m.rows) {
    const cis = m.splits.map((s) => {
      const c = r.cells[s];
      return (c ? `${pct(c.ci95[0])}–${pct(c.ci95[1])}` : "—").padEnd(w);
    });
    lines.push(r.arm.padEnd(16) + cis.join(""));
  }
  // Success alone hides *why* a cell is 0: no valid answer (the labels were not followed, or the
  // format broke) reads differently from valid answers that did not solve the level.
  lines.push("".padEnd(16) + "valid answers (share of turns the environment accepted):");
  for (const r of m.rows) {
    const vs = m.splits.map((s) => {
      const c = r.cells[s];
      return (c ? `${pct(c.validity)}%` : "—").padEnd(w);
    });
    lines.push(r.arm.padEnd(16) + vs.join(""));
  }
  const words = TASK_WORDS[m.task] ?? TASK_WORDS.sokoban!;
  if (m.splits.some((s) => m.groups[s] === "fake")) lines.push(words.fake);
  const ci = m.rows.flatMap((r) => m.splits.map((s) => r.cells[s])).find((c) => c);
  if (ci) lines.push(`n per cell: ${ci.n} ${words.item} × seeds; full JSON (checkpoints, overlap, compute): trainyard matrix ID --json`);
  if (m.paired?.length) {
    const p = m.paired;
    lines.push(`paired difference ${p[0]!.a} − ${p[0]!.b} on the same levels (95 % CI):`);
    lines.push("  " + p.map((d) => `${d.split} ${d.diff >= 0 ? "+" : ""}${pct(d.diff)} [${pct(d.ci95[0])}, ${pct(d.ci95[1])}]`).join("  "));
  }
  return lines.join("\n");
}

const pct = (x: number) => `${Math.round(x * 100)}`;
const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A horizontal bar of `width` cells for a share in [0, 1], in eighths of a cell. */
export function bar(x: number, width = 20): string {
  const eighths = Math.round(Math.max(0, Math.min(1, x)) * width * 8);
  return ("█".repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8]!).padEnd(width);
}

/**
 * The paper's Figure 1 in the terminal: per arm, ID success against the mean success on the
 * instruction variants (Alpha., Num., Rand. on Sokoban) at every evaluated checkpoint, seeds averaged.
 */
export function renderCurves(c: Curves): string {
  const lines = ["ID vs instruction variants over checkpoints (the paper's Figure 1; seeds averaged)"];
  const variants = [...new Set(c.curves.filter((x) => x.group === "instruction" && c.splits.includes(x.split)).map((x) => x.split))];
  lines.push(`  ${"arm".padEnd(14)}${"step".padStart(6)}  ${"ID".padEnd(27)}${(variants.join("/") || "variants").padEnd(27)}`);
  for (const arm of c.arms) {
    const mine = c.curves.filter((x) => x.arm === arm);
    const steps = [...new Set(mine.flatMap((x) => x.points.map((p) => p.step)))].sort((a, b) => a - b);
    for (const step of steps) {
      const at = (split: string) => {
        const v = mine.filter((x) => x.split === split).flatMap((x) => x.points.filter((p) => p.step === step).map((p) => p.success));
        return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
      };
      const id = at("id");
      const vs = variants.map(at).filter((v): v is number => v !== null);
      const v = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
      const cell = (x: number | null) => (x === null ? "—".padEnd(27) : `${bar(x)} ${pct(x).padStart(3)}%  `);
      lines.push(`  ${arm.padEnd(14)}${String(step).padStart(6)}  ${cell(id)}${cell(v)}`);
    }
  }
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
    .option("--no-curves", "leave out the ID-vs-variants curve over checkpoints")
    .action(async (id: string, opts: { select: string; json?: boolean; csv?: boolean; curves: boolean }) => {
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
      if (opts.curves) {
        const c = await api.request<Curves>("GET", `/v1/experiments/${encodeURIComponent(id)}/curves`);
        if (c.curves.length) process.stdout.write("\n" + renderCurves(c) + "\n");
      }
    });
}
