/** Operator commands: migrate, keys, serve. */
import type { Command } from "commander";
import { loadConfig } from "@trainyard/contracts";
import { CliError } from "../errors.js";

// Heavy modules (Prisma, Fastify, BullMQ) load inside the actions that need them, so quick
// commands such as `env batch` start fast.

type DbModule = typeof import("@trainyard/db");

/** Run with a Prisma client on DATABASE_URL, disconnected afterwards. */
async function withDb(fn: (db: ReturnType<DbModule["createPrisma"]>, mod: DbModule) => Promise<void>): Promise<void> {
  const mod = await import("@trainyard/db");
  const db = mod.createPrisma(loadConfig().DATABASE_URL);
  try {
    await fn(db, mod);
  } finally {
    await db.$disconnect();
  }
}

export function registerOps(program: Command): void {
  program
    .command("migrate")
    .description("create the database if needed and apply the committed migrations")
    .action(async () => {
      const { ensureDatabase, migrateDeploy } = await import("@trainyard/db");
      const config = loadConfig();
      const created = await ensureDatabase(config.DATABASE_URL);
      if (created) process.stderr.write(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}\n`);
      await migrateDeploy(config.DATABASE_URL);
    });

  const keys = program.command("keys").description("manage API keys");
  keys
    .command("create")
    .description("create an API key for a project (created if new); prints the key alone on the last line")
    .requiredOption("--project <name>", "project name")
    .option("--name <label>", "a label for the key")
    .option("--operator", "an operator key: bull-board (/admin/queues), /metrics and every project's keys")
    .action(async (opts: { project: string; name?: string; operator?: boolean }) => {
      if (!/^[\w.-]{1,100}$/.test(opts.project)) throw new CliError("--project: use 1-100 letters, digits, '.', '_' or '-'");
      if (opts.name !== undefined && (opts.name.length > 100 || [...opts.name].some((c) => c.charCodeAt(0) < 32)))
        throw new CliError("--name: at most 100 printable characters");
      await withDb(async (db, { createApiKey }) => {
        const { key, projectId } = await createApiKey(db, opts.project, opts.name, { operator: opts.operator ?? false });
        process.stdout.write(`project ${opts.project} (${projectId})${opts.operator ? " operator key" : ""}\n`);
        process.stdout.write(`${key}\n`);
      });
    });

  keys
    .command("list")
    .description("list API keys (id, project, prefix, operator, created, last used, revoked)")
    .option("--project <name>", "only this project's keys")
    .option("--json", "print JSON")
    .action(async (opts: { project?: string; json?: boolean }) => {
      if (opts.project !== undefined && !/^[\w.-]{1,100}$/.test(opts.project))
        throw new CliError("--project: use 1-100 letters, digits, '.', '_' or '-'");
      await withDb(async (db, { listApiKeys }) => {
        const items = await listApiKeys(db, { projectId: null, ...(opts.project ? { projectName: opts.project } : {}) });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
          return;
        }
        const rows = [["ID", "PROJECT", "PREFIX", "NAME", "OPERATOR", "CREATED", "LAST USED", "REVOKED"]];
        for (const k of items)
          rows.push([
            k.id,
            k.project,
            k.prefix,
            k.name ?? "-",
            k.operator ? "yes" : "no",
            k.createdAt,
            k.lastUsedAt ?? "never",
            k.revokedAt ?? "-",
          ]);
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows)
          process.stdout.write(
            `${r
              .map((c, i) => c.padEnd(widths[i]!))
              .join("  ")
              .trimEnd()}\n`,
          );
      });
    });

  keys
    .command("revoke")
    .description("revoke an API key at once (by the id `keys list` shows)")
    .argument("<id>", "the key's id")
    .action(async (id: string) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
        throw new CliError("<id>: a key id (a UUID, see `trainyard keys list`)");
      await withDb(async (db, { revokeApiKey }) => {
        const k = await revokeApiKey(db, id, null);
        if (!k) throw new CliError(`<id>: no key ${id}`);
        process.stdout.write(`revoked ${k.id} (${k.project}, ${k.prefix}…) at ${k.revokedAt}\n`);
      });
    });

  program
    .command("serve")
    .description("run the API and the worker (both by default; --api or --worker for one)")
    .option("--api", "run the HTTP API")
    .option("--worker", "run the job worker (queues, outbox relay, reconciler)")
    .option("--port <n>", "HTTP port (default PORT or 8080)")
    .option("--host <h>", "HTTP host (default HOST or 127.0.0.1)")
    .action(async (opts: { api?: boolean; worker?: boolean; port?: string; host?: string }) => {
      const env = { ...process.env, ...(opts.port ? { PORT: opts.port } : {}), ...(opts.host ? { HOST: opts.host } : {}) };
      const config = loadConfig(env);
      const both = !opts.api && !opts.worker;
      const [{ default: pino }, { createPrisma }, { startApi }, { startWorker }] = await Promise.all([
        import("pino"),
        import("@trainyard/db"),
        import("@trainyard/api"),
        import("@trainyard/worker"),
      ]);
      const logger = pino({ level: config.LOG_LEVEL });
      const closers: (() => Promise<void>)[] = [];
      if (both || opts.worker) {
        const db = createPrisma(config.DATABASE_URL);
        const w = await startWorker({ db, config, logger, services: config });
        closers.push(async () => {
          await w.close();
          await db.$disconnect();
        });
      }
      if (both || opts.api) {
        const api = await startApi(config, logger);
        logger.info({ url: api.url }, "api listening");
        closers.push(() => api.close());
      }
      // A stray rejected promise must not take the API and every running job down with it.
      process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, "shutting down");
        for (const c of closers.reverse()) await c().catch((err: unknown) => logger.error({ err }, "close failed"));
        process.exit(0);
      };
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));
      await new Promise(() => undefined); // run until a signal
    });
}
