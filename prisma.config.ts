// Prisma 6.19 CLI configuration: the WASM schema engine through adapter-pg, with the four
// workarounds of docs/conventions.md#prisma-without-engine-binaries (no native engine binary can be downloaded here).
import "./prisma/cli-exit-fix.js";
import { randomUUID } from "node:crypto";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { NameAsTextClient } from "./prisma/pg-name-fix.js";

const url = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/trainyard");
// Discrete fields, never connectionString: pg lets connectionString override `database`,
// which would point the shadow database at the real one (fix 2).
const pgConfig = {
  host: url.hostname,
  port: Number(url.port || 5432),
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
  Client: NameAsTextClient,
  allowExitOnIdle: true, // fix 4a: idle sockets must not keep the CLI alive
};

// Fix 3: end the shadow pool before dropping the shadow database.
class MigratePg extends PrismaPg {
  override async connectToShadowDb() {
    const admin = await new PrismaPg(pgConfig).connect();
    const db = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
    await admin.executeScript(`CREATE DATABASE "${db}"`);
    const shadow = await new PrismaPg({ ...pgConfig, database: db }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${db}"`);
      await admin.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return new MigratePg(pgConfig);
  },
});
