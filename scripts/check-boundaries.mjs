#!/usr/bin/env node
// Import-boundary check: enforces the "may import" table of docs/conventions.md#import-boundaries and forbids import
// cycles between source files. Exits non-zero with one line per violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** workspace -> workspaces it may import (docs/conventions.md#import-boundaries). */
const ALL_PACKAGES = ["envs", "contracts", "db", "outbound", "datasets", "eval", "compute"];
const MAY_IMPORT = {
  "packages/envs": [],
  "packages/contracts": ["envs"], // types only (checked below)
  "packages/db": ["contracts"],
  "packages/outbound": [],
  "packages/datasets": ["envs", "contracts", "outbound"],
  "packages/eval": ["envs", "contracts", "outbound"],
  "packages/compute": ["contracts"],
  "apps/api": ["contracts", "db", "datasets"],
  "apps/worker": ALL_PACKAGES,
  "apps/dashboard": ["contracts"], // types only
  "apps/cli": [...ALL_PACKAGES, "api", "worker"],
};
const TYPES_ONLY = new Set(["packages/contracts->envs", "apps/dashboard->contracts"]);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name === "generated") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const importRe =
  /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
const errors = [];
const graph = new Map();

for (const [ws, allowed] of Object.entries(MAY_IMPORT)) {
  const src = join(root, ws, "src");
  let files = [];
  try {
    files = walk(src);
  } catch {
    continue;
  }
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const edges = [];
    for (const m of text.matchAll(importRe)) {
      const spec = m[3] ?? m[4] ?? m[5];
      const typeOnly = Boolean(m[2]);
      if (!spec) continue;
      const rel = relative(root, file);
      if (spec.startsWith("@trainyard/")) {
        const target = spec.slice("@trainyard/".length).split("/")[0];
        if (file.endsWith(".test.ts")) continue; // tests may reach across for fixtures
        if (!allowed.includes(target)) errors.push(`${rel}: ${ws} may not import @trainyard/${target}`);
        else if (TYPES_ONLY.has(`${ws}->${target}`) && !typeOnly)
          errors.push(`${rel}: ${ws} may import @trainyard/${target} for types only (use import type)`);
      } else if (spec.startsWith(".")) {
        const resolved = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
        if (!resolved.startsWith(src) && !file.endsWith(".test.ts")) errors.push(`${rel}: relative import ${spec} leaves ${ws}/src`);
        if (!typeOnly) edges.push(resolved);
      }
    }
    graph.set(file, edges);
  }
}

// Cycle detection over runtime (non-type) relative imports.
const state = new Map();
const stack = [];
function visit(n) {
  state.set(n, 1);
  stack.push(n);
  for (const m of graph.get(n) ?? []) {
    if (!graph.has(m)) continue;
    if (state.get(m) === 1) {
      const cyc = stack
        .slice(stack.indexOf(m))
        .concat(m)
        .map((f) => relative(root, f));
      errors.push(`import cycle: ${cyc.join(" -> ")}`);
    } else if (!state.has(m)) visit(m);
  }
  stack.pop();
  state.set(n, 2);
}
for (const n of graph.keys()) if (!state.has(n)) visit(n);

if (errors.length) {
  console.error([...new Set(errors)].join("\n"));
  console.error(`\n${errors.length} import-boundary violation(s); see docs/conventions.md#import-boundaries.`);
  process.exit(1);
}
console.log(`import boundaries ok (${graph.size} files)`);
