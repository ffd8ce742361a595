/** Small shared pieces: page title, state badge, progress, errors, loading, key/value lists. */
import { useEffect, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { STATE_LABEL, pct } from "../lib/format";

export function PageTitle({ children, title, sub }: { children: ReactNode; title: string; sub?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Trainyard`;
  }, [title]);
  return (
    <div className="page-title">
      <h1 tabIndex={-1}>{children}</h1>
      {sub && <div className="muted">{sub}</div>}
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge state-${state}`}>
      <span aria-hidden="true" className="dot" />
      {STATE_LABEL[state] ?? state}
    </span>
  );
}

export function Progress({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(1, Number.isFinite(value) ? value : 0));
  return (
    <span className="progress">
      <progress max={1} value={v} aria-label={label} />
      <span className="progress-text">{pct(v)}</span>
    </span>
  );
}

export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="notice error" role="alert">
      <strong>{what ? `Could not load ${what}.` : "Something went wrong."}</strong> {e ? e.message : String(error)}
      {e && e.code && <code className="code">{e.code}</code>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Shown while live events arrive, so a reader knows whether the page is still updating. */
export function LiveStatus({ status, detail }: { status: string; detail?: string | undefined }) {
  const text =
    status === "open"
      ? "live"
      : status === "reconnecting"
        ? "reconnecting…"
        : status === "connecting"
          ? "connecting…"
          : status === "ended"
            ? "finished"
            : status === "failed"
              ? `stream failed${detail ? `: ${detail}` : ""}`
              : "";
  if (!text) return null;
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite">
      <span aria-hidden="true" className="dot" />
      {text}
    </span>
  );
}
