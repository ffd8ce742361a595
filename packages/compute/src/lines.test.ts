import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue, LineSplitter, toRunEvent } from "./lines.js";

/** Feed `bytes` cut at `cuts` and collect the lines. */
function split(bytes: Buffer, cuts: number[], max?: number): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l), max);
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    s.push(bytes.subarray(at, c));
    at = c;
  }
  s.push(bytes.subarray(at));
  s.end();
  return out;
}

describe("LineSplitter", () => {
  it("gives the same lines however the bytes are cut (multi-byte characters included)", () => {
    const text = fc
      .array(fc.oneof(fc.string({ unit: "grapheme" }), fc.constant("\n"), fc.constant("✓é\n")), { maxLength: 30 })
      .map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), (t, rawCuts) => {
        const bytes = Buffer.from(t);
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        const expected = t.split("\n");
        if (expected[expected.length - 1] === "") expected.pop(); // a final "\n" ends the last line
        expect(split(bytes, cuts)).toEqual(expected);
      }),
    );
  });

  it("strips a CR before LF, keeps lone CRs, and emits an unterminated last line", () => {
    expect(split(Buffer.from("a\r\nb\rc\nlast"), [2, 3])).toEqual(["a", "b\rc", "last"]);
  });

  it("emits a line longer than the cap in pieces instead of holding it", () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l), 4);
    s.push("0123456789");
    expect(out).toEqual(["0123", "4567"]);
    s.push("ab\n");
    expect(out).toEqual(["0123", "4567", "89ab"]);
  });

  it("discard forgets a cut line; end flushes nothing after it", () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l));
    s.push("whole\nhal");
    s.discard();
    s.end();
    expect(out).toEqual(["whole"]);
  });
});

describe("toRunEvent", () => {
  it("parses protocol events on stdout only", () => {
    const done = '{"type":"done","step":3}';
    expect(toRunEvent("stdout", done)).toEqual({ type: "done", step: 3, result: {} });
    expect(toRunEvent("stderr", done)).toEqual({ type: "line", stream: "stderr", line: done });
    expect(toRunEvent("stdout", '{"type":"nope"}')).toEqual({ type: "line", stream: "stdout", line: '{"type":"nope"}' });
  });
});

describe("EventQueue", () => {
  it("hands queued and later items to its one reader, then ends", async () => {
    const q = new EventQueue<number>();
    q.push(1);
    const it = q.iterable();
    expect(() => q.iterable()).toThrow(expect.objectContaining({ code: "TY_ERR_COMPUTE_EVENTS_TAKEN" }));
    setTimeout(() => (q.push(2), q.end()), 5);
    const seen: number[] = [];
    for await (const n of it) seen.push(n);
    expect(seen).toEqual([1, 2]);
  });

  it("delivers the queued items before an end error", async () => {
    const q = new EventQueue<number>();
    q.push(1);
    q.end(new Error("stream broke"));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of q.iterable()) seen.push(n);
      })(),
    ).rejects.toThrow("stream broke");
    expect(seen).toEqual([1]);
  });

  it("keeps order across its internal compaction", async () => {
    const q = new EventQueue<number>();
    for (let i = 0; i < 10_000; i++) q.push(i);
    q.end();
    const seen: number[] = [];
    for await (const n of q.iterable()) seen.push(n);
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });
});
