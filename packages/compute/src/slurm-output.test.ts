import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ByteLines, FileTail } from "./index.js";

describe("ByteLines", () => {
  it("splits anywhere, even inside a character, and reports where each line ends", () => {
    const text = Buffer.from('{"type":"log"}\nhéllo ✓\r\nlast');
    const lines = new ByteLines(1000);
    const got = [];
    for (let i = 0; i < text.length; i += 3) got.push(...lines.push(text.subarray(i, i + 3)));
    got.push(...lines.end());
    expect(got).toEqual([
      { line: '{"type":"log"}', end: 1015 },
      { line: "héllo ✓", end: 1015 + Buffer.byteLength("héllo ✓\r\n") },
      { line: "last", end: 1000 + text.length },
    ]);
    expect(lines.end()).toEqual([]);
  });

  it("cuts an unterminated line longer than the limit on a character boundary", () => {
    const lines = new ByteLines(0, 4);
    const got = [...lines.push(Buffer.from("ab✓✓c")), ...lines.push(Buffer.from("d\n"))];
    expect(got.map((l) => l.line)).toEqual(["ab", "✓", "✓cd"]);
    expect(got.map((l) => l.end)).toEqual([2, 5, 11]);
  });
});

describe("FileTail", () => {
  const dir = mkdtempSync(join(tmpdir(), "ty-tail-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file that appears and grows, only complete lines until the end", async () => {
    const path = join(dir, "out.log");
    const tail = new FileTail(path);
    expect(await tail.read()).toEqual([]);
    appendFileSync(path, "one\ntw");
    expect(await tail.read()).toEqual([{ line: "one", end: 4 }]);
    appendFileSync(path, "o\nthree");
    expect(await tail.read()).toEqual([{ line: "two", end: 8 }]);
    expect(await tail.read()).toEqual([]);
    expect(tail.end()).toEqual([{ line: "three", end: 13 }]);
    expect(tail.size).toBe(13);
  });
});
