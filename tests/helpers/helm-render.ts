/**
 * A small renderer for the subset of Helm's Go templates infra/helm uses (no helm binary on the
 * CI machines): `{{ .Values.a.b }}`, `.Release.Name|Namespace`, `.Chart.Name|Version`, pipes to
 * `quote`, `toYaml X | nindent N`, `if`/`else`/`end` and `{{-`/`-}}` trimming. Anything else is an
 * error, so the chart cannot drift into syntax this renderer would get wrong.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";

export interface RenderInput {
  values?: Record<string, unknown>;
  release?: { name: string; namespace: string };
}

type Scope = { Values: Record<string, unknown>; Release: { Name: string; Namespace: string }; Chart: Record<string, unknown> };

function lookup(path: string, scope: Scope): unknown {
  if (!path.startsWith(".")) throw new Error(`unsupported template term '${path}'`);
  let v: unknown = scope;
  for (const part of path.slice(1).split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const truthy = (v: unknown) =>
  !(
    v === undefined ||
    v === null ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && !v.length) ||
    (typeof v === "object" && !Array.isArray(v) && !Object.keys(v as object).length)
  );

function scalar(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "object") throw new Error(`a map or list printed without toYaml: ${JSON.stringify(v)}`);
  return String(v);
}

function evalPipeline(expr: string, scope: Scope): unknown {
  const stages = expr.split("|").map((s) => s.trim());
  let value: unknown;
  const first = stages.shift()!.split(/\s+/);
  if (first[0] === "toYaml" && first.length === 2) {
    const v = lookup(first[1]!, scope);
    value = v === undefined || (typeof v === "object" && v !== null && !Object.keys(v).length) ? "{}" : stringify(v).trimEnd();
  } else if (first.length === 1) value = lookup(first[0]!, scope);
  else throw new Error(`unsupported template action '${expr}'`);
  for (const st of stages) {
    const [fn, arg] = st.split(/\s+/);
    if (fn === "quote") value = JSON.stringify(scalar(value));
    else if (fn === "nindent" && arg) {
      const pad = " ".repeat(Number(arg));
      value =
        "\n" +
        scalar(value)
          .split("\n")
          .map((l) => pad + l)
          .join("\n");
    } else throw new Error(`unsupported template function '${st}'`);
  }
  return value;
}

/** Render one template's text. */
export function renderTemplate(text: string, scope: Scope): string {
  const tokens: { kind: "text" | "action"; value: string }[] = [];
  const re = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let before = text.slice(last, m.index);
    if (m[1] === "-") before = before.replace(/\s+$/, "");
    tokens.push({ kind: "text", value: before });
    tokens.push({ kind: "action", value: m[2]! });
    last = re.lastIndex;
    if (m[3] === "-") while (last < text.length && /\s/.test(text[last]!)) last++;
  }
  tokens.push({ kind: "text", value: text.slice(last) });

  const out: string[] = [];
  const stack: { active: boolean; taken: boolean }[] = [];
  const on = () => stack.every((s) => s.active);
  for (const t of tokens) {
    if (t.kind === "text") {
      if (on()) out.push(t.value);
      continue;
    }
    const a = t.value;
    if (a.startsWith("/*")) continue;
    if (a.startsWith("if ")) {
      const c = on() && truthy(evalPipeline(a.slice(3), scope));
      stack.push({ active: c, taken: c });
    } else if (a === "else") {
      const top = stack[stack.length - 1];
      if (!top) throw new Error("else without if");
      top.active = !top.taken;
      top.taken = true;
    } else if (a === "end") {
      if (!stack.pop()) throw new Error("end without if");
    } else if (on()) out.push(scalar(evalPipeline(a, scope)));
  }
  if (stack.length) throw new Error("if without end");
  return out.join("");
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Render every template of a chart directory into parsed Kubernetes objects. */
export function renderChart(chartDir: string, input: RenderInput = {}): Record<string, unknown>[] {
  const chart = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as Record<string, unknown>;
  const defaults = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as Record<string, unknown>;
  const scope: Scope = {
    Values: merge(defaults, input.values ?? {}),
    Release: { Name: input.release?.name ?? "ty", Namespace: input.release?.namespace ?? "trainyard" },
    Chart: { Name: chart.name, Version: chart.version },
  };
  const objects: Record<string, unknown>[] = [];
  for (const file of readdirSync(join(chartDir, "templates")).sort()) {
    if (!file.endsWith(".yaml")) continue;
    const text = renderTemplate(readFileSync(join(chartDir, "templates", file), "utf8"), scope);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (obj) objects.push({ ...obj, __file: file });
    }
  }
  return objects;
}
