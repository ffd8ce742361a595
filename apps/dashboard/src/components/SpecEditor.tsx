/**
 * The experiment spec as a form, generated from the value itself (the preset's expanded spec):
 * objects are fieldsets, scalar lists one comma-separated input, lists of objects (arms,
 * webhooks) repeatable groups. Every input's id derives from its path, and the API's issues
 * (which name paths) are shown at the input they are about.
 */
import { useState, type ReactNode } from "react";
import type { ApiIssue, ExperimentSpec } from "@trainyard/contracts";
import { fieldId, getAt, humanize, listToText, pathKey, removeAt, setAt, textToList, type Json, type Path } from "../lib/spec-form";

type Arm = ExperimentSpec["arms"][number];
type HfModel = Extract<ExperimentSpec["model"], { engine: "hf" }>;
type TinyModel = Extract<ExperimentSpec["model"], { engine: "cpu-tiny" }>;
// `satisfies Record<Union, true>` makes each list exhaustive at compile time against the contracts' types.
const keysOf = <T extends string>(o: Record<T, true>) => Object.keys(o) as T[];
const ENUMS: { match: (p: Path) => boolean; options: string[] }[] = [
  {
    match: (p) => p[0] === "task",
    options: keysOf({ sokoban: true, "general-points": true } satisfies Record<ExperimentSpec["task"], true>),
  },
  {
    match: (p) => p[0] === "arms" && p[2] === "method",
    options: keysOf({ sft: true, grpo: true, "sft-then-grpo": true } satisfies Record<Arm["method"], true>),
  },
  {
    match: (p) => p[0] === "arms" && p[2] === "data",
    options: keysOf({ frozen: true, diverse: true } satisfies Record<Arm["data"], true>),
  },
  {
    match: (p) => p[0] === "arms" && p[2] === "target",
    options: keysOf({ answer: true, cot: true } satisfies Record<Arm["target"], true>),
  },
  {
    match: (p) => pathKey(p) === "model.engine",
    options: keysOf({ "cpu-tiny": true, hf: true } satisfies Record<ExperimentSpec["model"]["engine"], true>),
  },
  {
    match: (p) => pathKey(p) === "model.dtype",
    options: keysOf({ bfloat16: true, float16: true, float32: true, auto: true } satisfies Record<HfModel["dtype"], true>),
  },
  {
    match: (p) => pathKey(p) === "model.arch",
    options: keysOf({ llama: true, qwen2: true } satisfies Record<TinyModel["arch"], true>),
  },
  {
    match: (p) => pathKey(p) === "model.tokenizer",
    options: keysOf({ lines: true, qwen: true, labels: true } satisfies Record<TinyModel["tokenizer"], true>),
  },
  {
    match: (p) => pathKey(p) === "compute.backend",
    options: keysOf({ process: true, docker: true, kubernetes: true, slurm: true } satisfies Record<
      ExperimentSpec["compute"]["backend"],
      true
    >),
  },
  {
    match: (p) => pathKey(p) === "datasets.leaks",
    options: keysOf({ keep: true, remove: true } satisfies Record<ExperimentSpec["datasets"]["leaks"], true>),
  },
  {
    match: (p) => pathKey(p) === "scoring",
    options: keysOf({ paper: true, exact: true } satisfies Record<ExperimentSpec["scoring"], true>),
  },
];

/**
 * Fields the form leaves to the JSON view: `preset` is the select above the form, and a list of
 * webhooks starts empty, so the form cannot know its items' fields.
 */
const HIDDEN = new Set(["preset", "webhooks"]);

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

interface Ctx {
  root: Json;
  /** The preset's expanded spec: a field's kind (number, list, ...) comes from it, not from what was typed. */
  shape: Json;
  issues: Map<string, ApiIssue[]>;
  onChange(next: Json): void;
}

/** The preset's value at a path; items added to a list take their kind from the list's first item. */
function protoAt(shape: Json, path: Path): Json | undefined {
  return (
    getAt(shape, path) ??
    getAt(
      shape,
      path.map((k) => (typeof k === "number" ? 0 : k)),
    )
  );
}

/** Issues about a field; a scalar list's input also shows those about its items (`splits.2`). */
function issuesAt(path: Path, ctx: Ctx): ApiIssue[] {
  const own = ctx.issues.get(pathKey(path)) ?? [];
  if (!Array.isArray(getAt(ctx.root, path))) return own;
  const prefix = `${pathKey(path)}.`;
  const items = [...ctx.issues.entries()]
    .filter(([k]) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
    .flatMap(([, v]) => v);
  return [...own, ...items];
}

function Errors({ path, ctx }: { path: Path; ctx: Ctx }) {
  const list = issuesAt(path, ctx);
  if (!list.length) return null;
  return (
    <span id={`${fieldId(path)}-error`} className="field-error">
      {list.map((i) => i.message).join("; ")}
    </span>
  );
}

function describedBy(path: Path, ctx: Ctx, hint?: string): { "aria-invalid"?: true; "aria-describedby"?: string } {
  const bad = issuesAt(path, ctx).length > 0;
  const ids = [bad ? `${fieldId(path)}-error` : "", hint ?? ""].filter(Boolean).join(" ");
  return { ...(bad ? { "aria-invalid": true as const } : {}), ...(ids ? { "aria-describedby": ids } : {}) };
}

/** A number typed into a text box: a number once it parses, else the text, which the API then names. */
function NumberInput({ path, value, ctx }: { path: Path; value: number | string; ctx: Ctx }) {
  const [text, setText] = useState(String(value));
  const id = fieldId(path);
  return (
    <input
      id={id}
      type="text"
      inputMode="decimal"
      value={String(value) === text || Number(text) === value ? text : String(value)}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        ctx.onChange(setAt(ctx.root, path, NUMBER.test(t) ? Number(t) : t));
      }}
      {...describedBy(path, ctx)}
    />
  );
}

function ListInput({ path, value, ctx }: { path: Path; value: Json[]; ctx: Ctx }) {
  const numeric = value.length > 0 && value.every((x) => typeof x === "number");
  const [text, setText] = useState(listToText(value));
  const id = fieldId(path);
  const hint = `${id}-hint`;
  const shown = listToText(textToList(text, numeric)) === listToText(value) ? text : listToText(value);
  return (
    <>
      <input
        id={id}
        type="text"
        value={shown}
        onChange={(e) => {
          setText(e.target.value);
          ctx.onChange(setAt(ctx.root, path, textToList(e.target.value, numeric)));
        }}
        {...describedBy(path, ctx, hint)}
      />
      <span id={hint} className="hint">
        comma-separated
      </span>
    </>
  );
}

function Scalar({ path, value, ctx }: { path: Path; value: Json; ctx: Ctx }) {
  const id = fieldId(path);
  const label = humanize(path[path.length - 1]!);
  let control: ReactNode;
  const options = ENUMS.find((e) => e.match(path))?.options;
  const proto = protoAt(ctx.shape, path) ?? value;
  if (typeof proto === "boolean" && typeof value === "boolean") {
    return (
      <div className="field checkbox">
        <input id={id} type="checkbox" checked={value} onChange={(e) => ctx.onChange(setAt(ctx.root, path, e.target.checked))} />
        <label htmlFor={id}>{label}</label>
        <Errors path={path} ctx={ctx} />
      </div>
    );
  }
  if (options && typeof value === "string") {
    control = (
      <select id={id} value={value} onChange={(e) => ctx.onChange(setAt(ctx.root, path, e.target.value))} {...describedBy(path, ctx)}>
        {[...new Set([...options, value])].map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (typeof proto === "number" && (typeof value === "number" || typeof value === "string")) {
    control = <NumberInput path={path} value={value} ctx={ctx} />;
  } else if (Array.isArray(value)) {
    control = <ListInput path={path} value={value} ctx={ctx} />;
  } else {
    control = (
      <input
        id={id}
        type="text"
        value={value === null ? "" : String(value)}
        onChange={(e) => ctx.onChange(setAt(ctx.root, path, e.target.value === "" && value === null ? null : e.target.value))}
        {...describedBy(path, ctx)}
      />
    );
  }
  return (
    <div className={Array.isArray(value) ? "field wide" : "field"}>
      <label htmlFor={id}>{label}</label>
      {control}
      <Errors path={path} ctx={ctx} />
    </div>
  );
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);

function Node({ path, ctx }: { path: Path; ctx: Ctx }): ReactNode {
  const value = getAt(ctx.root, path) ?? null;
  const key = path[path.length - 1]!;
  if (isObject(value)) {
    const itemName = typeof value.name === "string" && typeof key === "number" ? value.name : null;
    return (
      <fieldset id={fieldId(path)} className={`group depth-${Math.min(path.length, 3)}`} {...describedBy(path, ctx)}>
        <legend>{itemName ?? humanize(key)}</legend>
        <Errors path={path} ctx={ctx} />
        <div className="fields">
          {Object.keys(value).map((k) => (
            <Node key={k} path={[...path, k]} ctx={ctx} />
          ))}
        </div>
        {typeof key === "number" && (
          <button type="button" className="small" onClick={() => ctx.onChange(removeAt(ctx.root, path))}>
            Remove {itemName ?? `item ${key + 1}`}
          </button>
        )}
      </fieldset>
    );
  }
  if (Array.isArray(value) && value.some(isObject)) {
    const last = value[value.length - 1];
    const what = humanize(key).replace(/s$/, "");
    return (
      <fieldset id={fieldId(path)} className="group list-group" {...describedBy(path, ctx)}>
        <legend>{humanize(key)}</legend>
        <Errors path={path} ctx={ctx} />
        <div className="items">
          {value.map((_, i) => (
            <Node key={i} path={[...path, i]} ctx={ctx} />
          ))}
        </div>
        <button
          type="button"
          className="small"
          onClick={() => {
            const copy = structuredClone(last) as Json;
            if (isObject(copy) && typeof copy.name === "string") copy.name = `${copy.name}-${value.length + 1}`;
            ctx.onChange(setAt(ctx.root, path, [...value, copy]));
          }}
        >
          Add {what}
        </button>
      </fieldset>
    );
  }
  return <Scalar path={path} value={value} ctx={ctx} />;
}

export function SpecEditor({
  value,
  shape,
  issues,
  onChange,
}: {
  value: Json;
  shape: Json;
  issues: Map<string, ApiIssue[]>;
  onChange(v: Json): void;
}) {
  if (!isObject(value)) return null;
  const ctx: Ctx = { root: value, shape, issues, onChange };
  const keys = Object.keys(value).filter((k) => !HIDDEN.has(k));
  const scalars = keys.filter((k) => !isObject(value[k]) && !(Array.isArray(value[k]) && (value[k] as Json[]).some(isObject)));
  const groups = keys.filter((k) => !scalars.includes(k));
  return (
    <div className="spec-editor">
      <fieldset className="group depth-1">
        <legend>Experiment</legend>
        <div className="fields">
          {scalars.map((k) => (
            <Node key={k} path={[k]} ctx={ctx} />
          ))}
        </div>
      </fieldset>
      {groups.map((k) => (
        <Node key={k} path={[k]} ctx={ctx} />
      ))}
    </div>
  );
}
