import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pkgs = ["envs", "contracts", "db", "datasets", "eval", "compute"];
const apps = ["api", "worker", "cli"];

// Tests import workspace packages from source, so they run without a build.
export default defineConfig({
  resolve: {
    alias: [
      ...pkgs.map((p) => ({ find: `@trainyard/${p}`, replacement: here(`./packages/${p}/src/index.ts`) })),
      ...apps.map((p) => ({ find: `@trainyard/${p}`, replacement: here(`./apps/${p}/src/index.ts`) })),
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    globalSetup: ["tests/setup/global.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
