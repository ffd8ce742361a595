import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pkgs = ["envs", "contracts", "db", "outbound", "datasets", "eval", "compute"];
const apps = ["api", "worker", "cli"];

const BROWSER = "tests/browser/**/*.test.ts";
const ALL = ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "tests/**/*.test.ts"];
/**
 * Unit tests: pure code and the local file system only — no Postgres, Redis, HTTP servers, child
 * processes or trainers, so `npm run test:unit` finishes in well under a minute. Everything else
 * (a new test file included, until it is listed here) is an integration test.
 */
const UNIT = [
  "packages/envs/src/**/*.test.ts",
  "packages/contracts/src/{compute-policy,errors,experiment,job-history,matrix,webhooks}.test.ts",
  "packages/datasets/src/{leaks,sokoban,spec,store}.test.ts",
  "packages/compute/src/{errors-doc,lines,outcome,slurm-output,kubernetes-logs}.test.ts",
  "packages/eval/src/task-names.test.ts",
  "packages/outbound/src/retry.test.ts",
  "apps/dashboard/src/lib/**/*.test.ts",
  "apps/worker/src/handlers/{launch,trainer-config,trainer-defaults}.test.ts",
  "apps/worker/src/webhooks/backoff.test.ts",
];

// Tests import workspace packages from source, so they run without a build.
export default defineConfig({
  resolve: {
    alias: [
      ...pkgs.map((p) => ({ find: `@trainyard/${p}`, replacement: here(`./packages/${p}/src/index.ts`) })),
      ...apps.map((p) => ({ find: `@trainyard/${p}`, replacement: here(`./apps/${p}/src/index.ts`) })),
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      // The template database (and the Redis check) is set up once, for the tests that use them.
      {
        extends: true,
        test: {
          name: "integration",
          include: ALL,
          exclude: [...UNIT, BROWSER, "**/node_modules/**"],
          globalSetup: ["tests/setup/global.ts"],
        },
      },
      // Run on their own (scripts/test.sh), so the first-render timings measure the page, not a neighbour's trainer.
      { extends: true, test: { name: "browser", include: [BROWSER], globalSetup: ["tests/setup/global.ts"] } },
    ],
  },
});
