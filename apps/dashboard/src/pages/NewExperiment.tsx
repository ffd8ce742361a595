/**
 * New experiment: pick a preset, edit its expanded spec (form or JSON), check it with the API
 * (POST /v1/experiments/validate) and submit. The API's issues are shown at the field they name.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../api/client";
import { usePresets } from "../api/queries";
import type { ApiIssue, Experiment } from "../api/types";
import { ErrorNotice, Loading, PageTitle } from "../components/common";
import { SpecEditor } from "../components/SpecEditor";
import { fieldId, inputPathFor, issuesByPath, pathKey, type Json } from "../lib/spec-form";

type Outcome = { kind: "ok"; text: string } | { kind: "error"; error: ApiError } | null;

export function NewExperimentPage() {
  const presets = usePresets();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [presetName, setPresetName] = useState("");
  const [spec, setSpec] = useState<Json>(null);
  const [mode, setMode] = useState<"form" | "json">("form");
  const [jsonText, setJsonText] = useState("");
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  // One key per form: a double click or a retried request creates one experiment.
  const idempotencyKey = useRef(crypto.randomUUID());
  const summaryRef = useRef<HTMLDivElement>(null);
  const presetId = useId();

  const preset = presets.data?.items.find((p) => p.name === presetName);
  useEffect(() => {
    if (!presetName && presets.data?.items[0])
      setPresetName(presets.data.items.find((p) => p.name === "demo-cpu")?.name ?? presets.data.items[0].name);
  }, [presets.data, presetName]);
  useEffect(() => {
    if (!preset) return;
    setSpec(preset.spec as unknown as Json);
    setJsonText(JSON.stringify(preset.spec, null, 2));
    setOutcome(null);
    setJsonError(null);
  }, [preset]);

  const issues: ApiIssue[] = useMemo(() => (outcome?.kind === "error" ? outcome.error.issues : []), [outcome]);
  const byPath = useMemo(() => issuesByPath(issues), [issues]);

  /** The request body: the preset name plus the edited spec (the API merges, objects key by key). */
  const body = (): Record<string, unknown> | null => {
    let value: Json = spec;
    if (mode === "json") {
      try {
        value = JSON.parse(jsonText) as Json;
      } catch (e) {
        setJsonError(`Not valid JSON: ${(e as Error).message}`);
        return null;
      }
      setJsonError(null);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      setJsonError("The spec must be a JSON object.");
      return null;
    }
    return { ...value, preset: presetName };
  };

  const run = async (submit: boolean) => {
    const b = body();
    if (!b) return;
    setBusy(true);
    try {
      if (submit) {
        const exp = await api<Experiment>("/v1/experiments", {
          method: "POST",
          body: b,
          headers: { "idempotency-key": idempotencyKey.current },
        });
        await queryClient.invalidateQueries({ queryKey: ["experiments"] });
        navigate(`/experiments/${exp.id}`);
        return;
      }
      await api<{ spec: unknown }>("/v1/experiments/validate", { method: "POST", body: b });
      setOutcome({ kind: "ok", text: "The API accepts this spec." });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setOutcome({ kind: "error", error: e });
      // Show the problems: the summary first, then the first field they name.
      requestAnimationFrame(() => {
        summaryRef.current?.focus();
        summaryRef.current?.scrollIntoView({ block: "nearest" });
      });
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void run(true);
  };

  const switchMode = (next: "form" | "json") => {
    if (next === mode) return;
    if (next === "json") setJsonText(JSON.stringify(spec, null, 2));
    else {
      try {
        setSpec(JSON.parse(jsonText) as Json);
        setJsonError(null);
      } catch (e) {
        return setJsonError(`Not valid JSON: ${(e as Error).message}`);
      }
    }
    setMode(next);
  };

  if (presets.isPending) return <Loading what="presets" />;
  if (presets.error) return <ErrorNotice error={presets.error} what="presets" />;

  const inputOf = (i: ApiIssue) => (mode === "form" ? inputPathFor(spec, i.path) : null);

  return (
    <>
      <PageTitle title="New experiment" sub="Start from a preset; every field is the preset's expanded value and can be changed.">
        New experiment
      </PageTitle>
      <form onSubmit={onSubmit} className="new-experiment" noValidate>
        <div className="row">
          <div className="field">
            <label htmlFor={presetId}>Preset</label>
            <select id={presetId} value={presetName} onChange={(e) => setPresetName(e.target.value)}>
              {presets.data.items.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <div className="segmented" role="group" aria-label="Edit as">
            <button type="button" aria-pressed={mode === "form"} onClick={() => switchMode("form")}>
              Form
            </button>
            <button type="button" aria-pressed={mode === "json"} onClick={() => switchMode("json")}>
              JSON
            </button>
          </div>
        </div>

        <div ref={summaryRef} tabIndex={-1} className="outcome" aria-live="polite">
          {outcome?.kind === "ok" && <p className="notice ok">{outcome.text}</p>}
          {outcome?.kind === "error" && (
            <div className="notice error" role="alert">
              <strong>The API refused this spec</strong> <code className="code">{outcome.error.code}</code>
              {issues.length === 0 && <p>{outcome.error.message}</p>}
              {issues.length > 0 && (
                <ul>
                  {issues.map((i, n) => (
                    <li key={n}>
                      {inputOf(i) ? <a href={`#${fieldId(inputOf(i)!)}`}>{pathKey(i.path)}</a> : <code>{pathKey(i.path) || "(spec)"}</code>}
                      : {i.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {jsonError && (
            <p className="notice error" role="alert">
              {jsonError}
            </p>
          )}
        </div>

        {mode === "form" ? (
          <SpecEditor value={spec} shape={(preset?.spec ?? null) as Json} issues={byPath} onChange={setSpec} />
        ) : (
          <div className="field">
            <label htmlFor="spec-json">Spec (JSON)</label>
            <textarea
              id="spec-json"
              className="code-input"
              rows={28}
              spellCheck={false}
              value={jsonText}
              onChange={(e) => setJsonText(e.target.value)}
              aria-describedby="spec-json-hint"
            />
            <span id="spec-json-hint" className="hint">
              Fields the form does not show (for example sft.maxSteps on a paper preset) can be added here.
            </span>
          </div>
        )}

        <div className="actions">
          <button type="button" onClick={() => void run(false)} disabled={busy}>
            Check with the API
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Sending…" : "Submit experiment"}
          </button>
        </div>
      </form>
    </>
  );
}
