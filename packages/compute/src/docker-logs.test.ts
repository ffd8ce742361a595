import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DockerLogDemuxer, dockerFrame } from "./docker-logs.js";

describe("DockerLogDemuxer", () => {
  it("splits frames back into stdout and stderr however the chunks cut them", () => {
    const frame = fc.record({
      stream: fc.constantFrom("stdout" as const, "stderr" as const),
      data: fc.string({ minLength: 1, maxLength: 40 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, rawCuts) => {
        const wire = Buffer.concat(frames.map((f) => dockerFrame(f.stream, f.data)));
        const got = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
        const d = new DockerLogDemuxer((s, p) => got[s].push(Buffer.from(p)));
        let at = 0;
        for (const c of [...new Set(rawCuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b)) {
          d.push(wire.subarray(at, c));
          at = c;
        }
        d.push(wire.subarray(at));
        const want = (s: string) =>
          frames
            .filter((f) => f.stream === s)
            .map((f) => f.data)
            .join("");
        expect(Buffer.concat(got.stdout).toString()).toBe(want("stdout"));
        expect(Buffer.concat(got.stderr).toString()).toBe(want("stderr"));
        expect(d.leftover).toBe(0);
      }),
    );
  });

  it("passes a TTY container's plain stream through as stdout", () => {
    const out: string[] = [];
    const d = new DockerLogDemuxer((s, p) => out.push(`${s}:${p.toString()}`));
    d.push(Buffer.from("hello world\n"));
    d.push(Buffer.from("more"));
    expect(out).toEqual(["stdout:hello world\n", "stdout:more"]);
  });

  it("holds an unfinished frame", () => {
    const d = new DockerLogDemuxer(() => undefined);
    d.push(dockerFrame("stdout", "abcdef").subarray(0, 10));
    expect(d.leftover).toBe(10);
  });
});
