/**
 * Drift guards between the Python trainer and its TypeScript mirrors, with a real Python process:
 *  - config: `python -m trainyard_trainer.schema` vs the zod schemas, field by field
 *    (names, types, defaults, enum choices, nested LoRA object);
 *  - protocol: a real tiny SFT run and a rejected config emit every event type, and every stdout
 *    line parses with the zod TrainerEvent schema.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GrpoTrainerConfig, ServeTrainerConfig, SftTrainerConfig, TrainerLoraConfig } from "./trainer-config.js";
import { TrainerEvent, parseTrainerLine } from "./trainer-protocol.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PYTHON = process.env.TRAINYARD_PYTHON ?? join(REPO, ".venv", "bin", "python");
const ENV = { ...process.env, PYTHONPATH: join(REPO, "infra", "trainer") };

interface PyField {
  name: string;
  type: "int" | "float" | "str" | "bool" | "enum" | "list[str]" | "object";
  default: unknown;
  nullable: boolean;
  choices?: string[];
  fields?: PyField[];
  help: string;
}

const py = JSON.parse(execFileSync(PYTHON, ["-m", "trainyard_trainer.schema"], { env: ENV, encoding: "utf8" })) as Record<
  string,
  PyField[]
>;

function unwrap(schema: any): { inner: any; hasDefault: boolean; defaultValue: unknown; nullable: boolean } {
  let s = schema;
  let hasDefault = false;
  let defaultValue: unknown;
  let nullable = false;
  for (;;) {
    const t = s.def.type;
    if (t === "default") {
      hasDefault = true;
      defaultValue = s.def.defaultValue;
      s = s.def.innerType;
    } else if (t === "nullable") {
      nullable = true;
      s = s.def.innerType;
    } else return { inner: s, hasDefault, defaultValue, nullable };
  }
}

function zodType(inner: any): string {
  switch (inner.def.type) {
    case "number":
      return inner.isInt ? "int" : "float";
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "enum":
      return "enum";
    case "array":
      return inner.element.def.type === "string" ? "list[str]" : "array";
    case "object":
      return "object";
    default:
      return inner.def.type;
  }
}

function compare(shape: Record<string, any>, fields: PyField[], where: string): void {
  expect(Object.keys(shape).sort(), `${where}: field names`).toEqual(fields.map((f) => f.name).sort());
  for (const f of fields) {
    const { inner, hasDefault, defaultValue, nullable } = unwrap(shape[f.name]);
    const at = `${where}.${f.name}`;
    expect(hasDefault, `${at} has a default`).toBe(true);
    expect(defaultValue, `${at} default`).toEqual(f.default);
    expect(zodType(inner), `${at} type`).toBe(f.type);
    expect(nullable, `${at} nullable`).toBe(f.nullable);
    if (f.type === "enum") expect(inner.options, `${at} choices`).toEqual(f.choices);
    if (f.type === "object") compare(inner.shape, f.fields!, at);
  }
}

describe("trainer config: zod mirrors the Python dataclasses", () => {
  it.each([
    ["SftConfig", SftTrainerConfig],
    ["GrpoConfig", GrpoTrainerConfig],
    ["ServeConfig", ServeTrainerConfig],
    ["LoraConfig", TrainerLoraConfig],
  ] as const)("%s: names, types and defaults agree", (name, schema) => {
    expect(py[name], `python schema has ${name}`).toBeDefined();
    compare((schema as unknown as z.ZodObject).shape, py[name]!, name);
    for (const f of py[name]!) expect(f.help.length, `${name}.${f.name} help`).toBeGreaterThan(0);
  });

  it("rejects the same impossible combinations as __post_init__", () => {
    const grpo = GrpoTrainerConfig.safeParse({ train_file: "x", prompts_per_batch: 6, mini_batch_prompts: 4 });
    expect(grpo.success).toBe(false);
    expect(grpo.error?.issues[0]?.path).toEqual(["mini_batch_prompts"]);
    const len = GrpoTrainerConfig.safeParse({ max_prompt_length: 200, max_completion_length: 100, context_length: 256 });
    expect(len.error?.issues[0]?.path).toEqual(["max_completion_length"]);
    expect(SftTrainerConfig.safeParse({ d_model: 30, heads: 4 }).success).toBe(false);
    expect(SftTrainerConfig.safeParse({ d_model: 12, heads: 4 }).success).toBe(false); // odd head size
    expect(SftTrainerConfig.safeParse({ tiny_arch: "qwen2" }).error?.issues[0]?.path).toEqual(["tiny_tokenizer"]);
    expect(SftTrainerConfig.safeParse({ lora: { rank: 0 } }).success).toBe(false);
    expect(SftTrainerConfig.safeParse({ learning_rte: 1 }).success).toBe(false);
  });
});

describe("trainer protocol: a real Python run validates against TrainerEvent", () => {
  const dir = mkdtempSync(join(tmpdir(), "ty-trainer-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(mode: string, config: unknown): { code: number | null; lines: string[] } {
    const file = join(dir, `${mode}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    const p = spawnSync(PYTHON, ["-m", "trainyard_trainer", mode, "--config", file], { env: ENV, encoding: "utf8", timeout: 120_000 });
    return { code: p.status, lines: p.stdout.split("\n").filter((l) => l.trim() !== "") };
  }

  it("emits every event type, each line a valid TrainerEvent, from a zod-defaulted config", () => {
    const rows = ["red:Up", "blue:Left", "green:Down", "amber:Right"].map((s) => {
      const [c, a] = s.split(":");
      return JSON.stringify({ prompt: `Colour: ${c}\nAnswer:`, completion: ` ${a}\n` });
    });
    writeFileSync(join(dir, "toy.jsonl"), rows.join("\n") + "\n");
    // The full JSON as the API would produce it (every default filled in by zod) must be
    // accepted by the Python dataclass: same names, compatible types.
    const sft = SftTrainerConfig.parse({
      train_file: join(dir, "toy.jsonl"),
      output_dir: join(dir, "out"),
      max_steps: 2,
      batch_size: 4,
      d_model: 16,
      layers: 1,
      heads: 2,
      vocab_size: 300,
      context_length: 64,
    });
    const ok = run("sft", sft);
    const bad = run("grpo", {
      ...GrpoTrainerConfig.parse({}),
      train_file: join(dir, "toy.jsonl"),
      prompts_per_batch: 6,
      mini_batch_prompts: 4,
    });
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(1);
    const events = [...ok.lines, ...bad.lines].map((l) => {
      const r = TrainerEvent.safeParse(JSON.parse(l));
      expect(r.success, `${l}\n${r.error?.message}`).toBe(true);
      expect(parseTrainerLine(l)).not.toBeNull();
      return r.data!;
    });
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["status", "log", "metrics", "checkpoint", "done", "error"]));
    const err = events.at(-1)!;
    expect(err.type === "error" && err.code === "TY_ERR_TRAINER_CONFIG" && err.failure_kind === "user_error").toBe(true);
  }, 240_000);
});
