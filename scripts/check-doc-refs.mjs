#!/usr/bin/env node
// Doc-reference check: every `docs/<name>.md` or `docs/<name>.md#<anchor>` a tracked file mentions must
// name an existing file and, with an anchor, one of its headings (GitHub's slug rules), and every
// relative `](NAME.md#anchor)` link inside docs/ must resolve the same way. The domain contract
// lives in docs/, so a renamed heading must not silently orphan the comments that cite it.
// Exits non-zero with one line per broken reference.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** GitHub's heading anchor: lower-case, drop punctuation, spaces to hyphens, `-N` for repeats. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a markdown file defines (ATX headings outside code fences). */
export function anchors(markdown) {
  const seen = new Map();
  const out = new Set();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1].replace(/`/g, ""));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const cache = new Map();
function anchorsOf(rel) {
  if (!cache.has(rel)) cache.set(rel, anchors(readFileSync(join(root, rel), "utf8")));
  return cache.get(rel);
}

function check(target, where, problems) {
  const [file, anchor] = target.split("#");
  if (!existsSync(join(root, file))) problems.push(`${where}: ${target}: no such file`);
  else if (anchor !== undefined && !anchorsOf(file).has(anchor)) problems.push(`${where}: ${target}: no heading with anchor #${anchor}`);
}

const CODE = /\.(ts|tsx|mts|js|mjs|cjs|py|sh|prisma|json|ya?ml|toml|md)$/;
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root })
  .toString()
  .split("\n")
  .filter((f) => CODE.test(f) && existsSync(join(root, f)));

const problems = [];
for (const f of files) {
  const lines = readFileSync(join(root, f), "utf8").split("\n");
  lines.forEach((line, i) => {
    const where = `${f}:${i + 1}`;
    for (const m of line.matchAll(/(?<![\w/.-])docs\/[\w./-]+?\.md(?:#[\p{L}\p{N}_-]+)?/gu)) check(m[0], where, problems);
    // Relative links between pages of docs/.
    if (f.startsWith("docs/"))
      for (const m of line.matchAll(/\]\(((?!https?:)[\w./-]+\.md)(#[\p{L}\p{N}_-]+)?\)/gu))
        check(posix.join(posix.dirname(f), m[1]) + (m[2] ?? ""), where, problems);
  });
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} broken docs/ reference(s)`);
  process.exit(1);
}
