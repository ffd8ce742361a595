/**
 * The experiment form edits a JSON value (the preset's expanded spec) by path. API issues name
 * fields by the same paths (`["sft", "batchSize"]`), so an error lands on the input it is about.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Path = (string | number)[];

export const pathKey = (p: readonly (string | number)[]): string => p.join(".");

export function getAt(value: Json, path: Path): Json | undefined {
  let v: Json | undefined = value;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? v[k as number] : v[k as string];
  }
  return v;
}

/** A copy of `value` with `path` set (objects and arrays along the path are copied, not mutated). */
export function setAt(value: Json, path: Path, next: Json): Json {
  if (!path.length) return next;
  const [k, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[k as number] = setAt(copy[k as number] ?? null, rest, next);
    return copy;
  }
  const obj = value !== null && typeof value === "object" ? value : {};
  return { ...obj, [k]: setAt(obj[k as string] ?? null, rest, next) };
}

/** A copy without the array element at `path`. */
export function removeAt(value: Json, path: Path): Json {
  const parent = getAt(value, path.slice(0, -1));
  if (!Array.isArray(parent)) return value;
  const i = path[path.length - 1] as number;
  return setAt(
    value,
    path.slice(0, -1),
    parent.filter((_, j) => j !== i),
  );
}

/**
 * Text of a list of scalars as typed in one input ("id, alpha, fake"; "0, 1, 2"), and back.
 * Numbers stay numbers when the original list held numbers.
 */
export function listToText(list: readonly Json[]): string {
  return list.map((x) => String(x)).join(", ");
}

export function textToList(text: string, numeric: boolean): Json[] {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return numeric ? parts.map((s) => (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(s) ? Number(s) : s)) : parts;
}

/** Issues grouped by the field they name; issues about a path's parent also show at the parent. */
export function issuesByPath<I extends { path: readonly (string | number)[]; message: string }>(issues: readonly I[]): Map<string, I[]> {
  const m = new Map<string, I[]>();
  for (const i of issues) {
    const k = pathKey(i.path);
    m.set(k, [...(m.get(k) ?? []), i]);
  }
  return m;
}

/** Names whose split into words would read wrong. */
const LABELS: Record<string, string> = {
  dModel: "width (d_model)",
  memoryGiB: "memory (GiB)",
  topP: "top-p",
  timeoutSeconds: "timeout (s)",
  maxTokens: "max tokens",
};

/** "batchSize" → "batch size", "two-boxes" stays. */
export function humanize(key: string | number): string {
  if (typeof key === "number") return `#${key + 1}`;
  return LABELS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** A DOM id for a field path. */
export function fieldId(path: readonly (string | number)[]): string {
  return `field-${path.join("-").replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * The path of the input that shows a field: an item of a scalar list (`splits.2`) is edited in
 * its list's one input (`splits`). Null when the spec has no such field (the issue is then only
 * listed in the summary).
 */
export function inputPathFor(spec: Json, path: Path): Path | null {
  if (!path.length || getAt(spec, path) === undefined) return null;
  const parent = getAt(spec, path.slice(0, -1));
  const item = getAt(spec, path);
  if (Array.isArray(parent) && (item === null || typeof item !== "object")) return path.slice(0, -1);
  return path;
}
