import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalArtifactStore } from "./index.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("LocalArtifactStore", () => {
  const root = mkdtempSync(join(tmpdir(), "ty-store-"));
  const store = new LocalArtifactStore(root);

  it("puts atomically and reports bytes and SHA-256; get/stat/hash/open/list agree", async () => {
    const r = await store.put("datasets/abc/train/x.jsonl", "a\nb\n");
    expect(r).toMatchObject({
      key: "datasets/abc/train/x.jsonl",
      uri: "artifact://datasets/abc/train/x.jsonl",
      bytes: 4,
      sha256: sha("a\nb\n"),
    });
    expect(store.pathFor(r.uri)).toBe(join(root, "datasets", "abc", "train", "x.jsonl"));
    expect(readFileSync(store.pathFor(r.key), "utf8")).toBe("a\nb\n");
    expect((await store.get(r.uri)).toString()).toBe("a\nb\n");
    expect(await store.stat(r.key)).toEqual({ key: r.key, uri: r.uri, bytes: 4 });
    expect(await store.hash(r.key)).toBe(r.sha256);
    let streamed = "";
    for await (const c of store.open(r.key, { start: 2 })) streamed += String(c);
    expect(streamed).toBe("b\n");
    await store.put(
      "datasets/abc/manifest.json",
      (async function* () {
        yield "{";
        yield Buffer.from("}");
      })(),
    );
    expect((await store.list("datasets/abc")).map((s) => s.key)).toEqual(["datasets/abc/manifest.json", "datasets/abc/train/x.jsonl"]);
    expect(await store.stat("datasets/nope")).toBeNull();
  });

  it("content-addresses blobs by SHA-256 (idempotent)", async () => {
    const a = await store.putBlob("same bytes");
    const b = await store.putBlob(Buffer.from("same bytes"));
    expect(a.key).toBe(`blobs/sha256/${sha("same bytes")}`);
    expect(b.key).toBe(a.key);
    expect((await store.list("blobs/sha256")).length).toBe(1);
  });

  it("refuses keys that leave the root and reports missing files with a code", async () => {
    for (const k of ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", ""]) expect(() => store.pathFor(k)).toThrow(RangeError);
    await expect(store.get("datasets/missing.jsonl")).rejects.toMatchObject({ code: "TY_ERR_ARTIFACT_MISSING" });
  });
});
