import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** The repository root (holds prisma.config.ts and prisma/migrations), found from this file. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "prisma.config.ts")) && existsSync(join(dir, "prisma", "migrations"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error("cannot find the repository root (prisma.config.ts) above " + fileURLToPath(import.meta.url));
}

/** The trainer's interpreter: TRAINYARD_PYTHON when set, else the repository's `.venv` (scripts/setup.sh makes it). */
export function trainerPython(configured: string | undefined): string {
  return configured || join(repoRoot(), ".venv", "bin", "python");
}

function adminUrl(databaseUrl: string): { url: string; name: string } {
  const u = new URL(databaseUrl);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = "/postgres";
  return { url: u.toString(), name };
}

/** CREATE DATABASE if it does not exist (optionally from a template). */
export async function ensureDatabase(databaseUrl: string, template?: string): Promise<boolean> {
  const { url, name } = adminUrl(databaseUrl);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (r.rowCount) return false;
    const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
    await client.query(`CREATE DATABASE ${q(name)}${template ? ` TEMPLATE ${q(template)}` : ""}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { url, name } = adminUrl(databaseUrl);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** `prisma migrate deploy` through the repo's prisma.config.ts (WASM engine; docs/conventions.md#prisma-without-engine-binaries). */
export async function migrateDeploy(databaseUrl: string, opts: { quiet?: boolean } = {}): Promise<void> {
  const root = repoRoot();
  const require = createRequire(join(root, "package.json"));
  const prismaCli = join(dirname(require.resolve("prisma/package.json")), "build", "index.js");
  await new Promise<void>((ok, fail) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`prisma migrate deploy exited ${code}\n${out}`))));
  });
}
