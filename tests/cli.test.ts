/**
 * The built `trainyard` binary against a real database, Redis and a real `serve` process.
 * (scripts/test.sh builds before running vitest.)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "./helpers/db.js";
import { deletePrefix, randomPrefix, redisClient } from "./helpers/redis.js";
import { redisUrl } from "./helpers/env.js";

const bin = fileURLToPath(new URL("../apps/cli/bin/trainyard.js", import.meta.url));
let tdb: TestDb;
let prefix: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tdb = await createTestDb();
  prefix = randomPrefix();
  env = {
    ...process.env,
    DATABASE_URL: tdb.url,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: prefix,
    LOG_LEVEL: "info",
    ARTIFACT_DIR: "./artifacts/test-cli",
  };
});
afterAll(async () => {
  const r = redisClient();
  await deletePrefix(r, prefix);
  r.disconnect();
  await tdb?.drop();
});

describe("trainyard CLI", () => {
  it("prints help and names a missing or bad flag", () => {
    const help = cli(["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["migrate", "keys", "serve", "submit", "env"]) expect(help.stdout).toContain(c);
    const missing = cli(["keys", "create"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--project");
    const bad = cli(["keys", "create", "--project", "no spaces allowed"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--project");
  });

  it("migrates, creates a key (alone on the last line), serves and takes a submission", { timeout: 120_000 }, async () => {
    expect(cli(["migrate"]).code).toBe(0);
    const keys = cli(["keys", "create", "--project", "cli-test"]);
    expect(keys.code).toBe(0);
    const key = keys.stdout.trim().split("\n").pop()!;
    expect(key).toMatch(/^ty_[\w-]{20,}$/);

    const serve: ChildProcess = spawn(process.execPath, [bin, "serve", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = "";
        const t = setTimeout(() => reject(new Error(`serve did not start: ${buf}`)), 30_000);
        serve.stdout!.on("data", (d: Buffer) => {
          buf += d.toString();
          const m = /"url":"(http:\/\/[^"]+)"/.exec(buf);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
        serve.on("exit", (c) => reject(new Error(`serve exited ${c}: ${buf}`)));
      });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const submit = cli(["submit", "--preset", "demo-cpu", "--json"], { TRAINYARD_URL: url, TRAINYARD_API_KEY: key });
      expect(submit.code, submit.stderr).toBe(0);
      const exp = JSON.parse(submit.stdout) as { id: string; spec: { preset: string } };
      expect(exp.spec.preset).toBe("demo-cpu");
      const ls = cli(["ls"], { TRAINYARD_URL: url, TRAINYARD_API_KEY: key });
      expect(ls.stdout).toContain(exp.id);
      const wrong = cli(["get", exp.id], { TRAINYARD_URL: url, TRAINYARD_API_KEY: "ty_nope" });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain("TY_ERR_UNAUTHORIZED");
      const badPreset = cli(["submit", "--preset", "paper-chess"], { TRAINYARD_URL: url, TRAINYARD_API_KEY: key });
      expect(badPreset.code).toBe(1);
      expect(badPreset.stderr).toContain("TY_ERR_UNKNOWN_PRESET");
    } finally {
      serve.kill("SIGTERM");
      await new Promise((r) => serve.once("exit", r));
    }
  });
});

describe("trainyard env", () => {
  it("batch answers each line in order and survives bad lines", () => {
    const input = [
      '{"op":"vocabulary","row":0}',
      "garbage",
      '{"op":"generate","env":"general-points","split":"five","index":0}',
      '{"op":"parse","env":"sokoban","labels":["Up","Down","Left","Right"],"text":"<answer>Left</answer>"}',
      "",
    ].join("\n");
    const r = spawnSync(process.execPath, [bin, "env", "batch"], { input, encoding: "utf8", env });
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({ ok: true, labels: ["tree", "fix", "jade", "freedom"] });
    expect(lines[1]).toMatchObject({ ok: false, error: { code: "TY_ERR_ENV_BAD_REQUEST" } });
    expect(lines[2]).toMatchObject({ ok: true, cards: ["Q", "A", "J", "5", "2"] });
    expect(lines[3]).toEqual({ ok: true, actionId: 3 });
  });

  it("show draws a level and names a bad flag", () => {
    const ok = cli(["env", "show", "sokoban", "--setting", "id", "--seed", "123"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Answers:");
    const bad = cli(["env", "show", "sokoban", "--seed", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--seed");
    const gp = cli(["env", "show", "general-points", "--split", "all-5", "--index", "0"]);
    expect(gp.code).toBe(0);
  });
});
