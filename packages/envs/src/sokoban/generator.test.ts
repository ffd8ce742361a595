import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { levelToRows } from "./board.js";
import { generateLevel } from "./generator.js";
import { pyStrHashSeed0, retrySeed } from "./pyhash.js";
import { SETTINGS, settingSeeds } from "./settings.js";
import { solve } from "./solver.js";

const six = { rows: 6, cols: 6, numBoxes: 1 };
const rowsOf = (p: Parameters<typeof generateLevel>[0], seed: number) => levelToRows(generateLevel(p, seed).level);

describe("reverse-play generator reproduces the reference seed for seed", () => {
  // docs/sokoban-rules.md#rendering, docs/sokoban-rules.md#evaluation-difficulty [checked] fixtures.
  it.each([
    [42, ["######", "#PX_O#", "#____#", "######", "######", "######"]],
    [43, ["######", "######", "####_#", "##OX_#", "#__P_#", "######"]],
    [44, ["######", "#___##", "#O___#", "##_X_#", "###P_#", "######"]],
    [123, ["######", "######", "#O####", "#XP###", "#__###", "######"]],
    [124, ["######", "######", "#O####", "#X_###", "#P####", "######"]],
  ])("6x6/1 seed %i", (seed, rows) => {
    expect(rowsOf(six, seed)).toEqual(rows);
  });

  it("10x10/1 seed 223 (Large) and 6x6/2 seed 423 (TwoBoxes)", () => {
    expect(rowsOf({ rows: 10, cols: 10, numBoxes: 1 }, 223)).toEqual([
      "##########",
      "#####____#",
      "#####____#",
      "#####____#",
      "#####___O#",
      "#####____#",
      "######__P#",
      "#######X_#",
      "#######__#",
      "##########",
    ]);
    expect(rowsOf({ rows: 6, cols: 6, numBoxes: 2 }, 423)).toEqual(["######", "#___P#", "#__X_#", "#O_X_#", "#O__##", "######"]);
  });

  it("10x10/2 seed 323 (Complex), from the reference run", () => {
    expect(rowsOf({ rows: 10, cols: 10, numBoxes: 2 }, 323)).toEqual([
      "##########",
      "#__#######",
      "#_X#######",
      "#____#####",
      "#PX__#####",
      "#_O_######",
      "#__O######",
      "##########",
      "##########",
      "##########",
    ]);
  });

  // Digest of "seed|rows joined by /|BFS action ids" per line over every seed of a set, computed
  // with the reference Python code (RAGEN room_utils at 0d63165, CPython 3.11, numpy 1.24,
  // PYTHONHASHSEED=0 so that the 5 retried TwoBoxes levels are reproducible too).
  const SET_DIGESTS: Record<string, string> = {
    train: "665e50087a5369bb544c836df38316051e6db862af75a1fc06bb63de81b76435",
    id: "e8f9c49aba55cd5597a9fe1053565218dc82ee11932672679ce5f80066ecc37d",
    large: "c72fc9277ca32a677884a67d8c5acf37f71af84fa182c1327b08cbf3d9bc5efe",
    complex: "08f01d7908d507e638be85d31c79509138a7b1f87af605a409c5571a97788d04",
    "two-boxes": "b2b2c47edbaff4ec59242a113697556e9342d9d5deacc0c64b091d7d2e59853e",
    rand: "e52eeacb64c102704f20fd36ed05764722907a203cbe63847f71e2937dad0c09",
    num: "f9092c7120e007c19a94659b42a1c4480fd18546c1adb6ef8465c87bf4b660c0",
    alpha: "bafef4755c8bf340904eb761cb99f611c555980c0463b6588d3de5627837782a",
    fake: "573cac26368b1be8878d391fb476c152e9abac515c079e548c0c19c431194063",
  };

  it.each(Object.keys(SET_DIGESTS))("every level and BFS plan of set %s", (name) => {
    const s = SETTINGS[name]!;
    const lines: string[] = [];
    const retried: number[] = [];
    for (const seed of settingSeeds(s)) {
      const g = generateLevel({ rows: s.rows, cols: s.cols, numBoxes: s.numBoxes }, seed);
      if (g.fallback) retried.push(seed);
      lines.push(`${seed}|${levelToRows(g.level).join("/")}|${solve(g.level).join("")}`);
    }
    expect(createHash("sha256").update(lines.join("\n")).digest("hex")).toBe(SET_DIGESTS[name]);
    // docs/sokoban-rules.md#retries: no retries except five TwoBoxes seeds (salted-hash retries upstream → fallback here).
    expect(retried).toEqual(name === "two-boxes" ? [452, 473, 474, 510, 521] : []);
  });

  // Other sizes, box counts and ttl, same digest recipe plus the retry count per line.
  it.each([
    [8, 8, 2, 30, 50, true, "e834eb425a68dd09073c283d07ad3cc7e7de1c04bfe20c58b90a9c3e1c27bbdd"],
    [6, 8, 1, 30, 50, true, "246c62ff3d37c5bb23f9a2edf2001f94e009a7a064e012c6e8026cdfbdcae3ae"],
    [7, 7, 3, 30, 40, true, "e2f90dfcc8d3af960dfe4002b0cefd0c948baa24a2db516ec90b00e44100cde8"],
    [10, 10, 3, 30, 30, false, "3941becfe62edbd8f38a47052cb92607ea243878372d4294989854ecbf16ab3a"],
    [10, 10, 2, 300, 5, false, "8c6180d867a647ab4cefc9566fb2b1ae4533f88aad8fd4e57e52e928c4c8828f"],
  ])("%ix%i with %i boxes, ttl %i, seeds 0..%i", (rows, cols, numBoxes, searchDepth, n, withPlan, digest) => {
    const lines: string[] = [];
    for (let seed = 0; seed < n; seed++) {
      const g = generateLevel({ rows, cols, numBoxes, searchDepth }, seed);
      lines.push(`${seed}|${levelToRows(g.level).join("/")}|${withPlan ? solve(g.level).join("") : ""}|${g.retries}`);
    }
    expect(createHash("sha256").update(lines.join("\n")).digest("hex")).toBe(digest);
  });

  it("stops the reverse-play DFS at the 300,000-state cap exactly like the reference", () => {
    const g = generateLevel({ rows: 12, cols: 12, numBoxes: 3, searchDepth: 300 }, 2);
    expect(g.explored).toBe(300_000);
    expect(levelToRows(g.level).join("/")).toBe(
      "############/#________O##/#______O__##/#__#####__##/#_XX_______#/##PX______##/######____##/######___O_#/######____##/#######___##/############/############",
    );
  });
});

describe("retry fallback", () => {
  it("CPython 3.11 str hash under PYTHONHASHSEED=0 (SipHash-1-3, zero key)", () => {
    // Values printed by `PYTHONHASHSEED=0 python3.11 -c 'print(hash(s))'`.
    expect(pyStrHashSeed0("452")).toBe(1042263516314971381n);
    expect(pyStrHashSeed0("123")).toBe(-720260156515788369n);
    expect(pyStrHashSeed0("a")).toBe(4644417185603328019n);
    expect(pyStrHashSeed0("12345678")).toBe(3785724242978802311n);
    expect(pyStrHashSeed0("123456789abcdef01")).toBe(-8237123000043256809n);
    expect(pyStrHashSeed0("")).toBe(0n);
    expect(retrySeed(452)).toBe(1548594421);
  });

  it("marks retried levels as fallback and reports the seed that produced them", () => {
    const g = generateLevel({ rows: 6, cols: 6, numBoxes: 2 }, 452);
    expect(g.fallback).toBe(true);
    expect(g.retries).toBe(2);
    expect(g.usedSeed).toBe(retrySeed(retrySeed(452)));
    const h = generateLevel({ rows: 6, cols: 6, numBoxes: 2 }, 453);
    expect(h).toMatchObject({ fallback: false, retries: 0, usedSeed: 453 });
  });

  it("is deterministic and independent of call history", () => {
    const a = rowsOf(six, 777);
    rowsOf({ rows: 10, cols: 10, numBoxes: 2 }, 5);
    expect(rowsOf(six, 777)).toEqual(a);
  });

  it("rejects seeds NumPy's legacy seeding would reject", () => {
    expect(() => generateLevel(six, -1)).toThrow(RangeError);
    expect(() => generateLevel(six, 2 ** 32)).toThrow(RangeError);
    expect(() => generateLevel(six, 1.5)).toThrow(RangeError);
  });
});
