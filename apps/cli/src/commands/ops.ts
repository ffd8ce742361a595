/** Operator commands: migrate, keys, serve. */
import type { Command } from "commander";
import { loadConfig } from "@trainyard/contracts";
import { CliError } from "../errors.js";

// Heavy modules (Prisma, Fastify, BullMQ) load inside the actions that need them, so quick
// commands such as `env batch` start fast.

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
    .action(async (opts: { project: string; name?: string }) => {
      if (!/^[\w.-]{1,100}$/.test(opts.project)) throw new CliError("--project: use 1-100 letters, digits, '.', '_' or '-'");
      const { createApiKey, createPrisma } = await import("@trainyard/db");
      const config = loadConfig();
      const db = createPrisma(config.DATABASE_URL);
      try {
        const { key, projectId } = await createApiKey(db, opts.project, opts.name);
        process.stdout.write(`project ${opts.project} (${projectId})\n`);
        process.stdout.write(`${key}\n`);
      } finally {
        await db.$disconnect();
      }
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
