/**
 * The landing page's first request, started before React and the rest of the app are loaded
 * (main.ts runs this, then imports the app): on a cold load the list's answer arrives while the
 * app's code is still being parsed instead of after it. No dependencies, so it stays in the
 * small entry chunk.
 */
import { experimentsListUrl } from "./list-url";

interface Early {
  promise: Promise<unknown>;
  /** Set once the answer is in: the page's first render can then use it without waiting a tick. */
  value?: unknown;
}
const early = new Map<string, Early>();

export function startEarlyFetches(): void {
  let key: string | null = null;
  try {
    key = sessionStorage.getItem("trainyard.apiKey");
  } catch {
    return;
  }
  if (!key || location.pathname.replace(/\/$/, "") !== "/experiments") return;
  const url = experimentsListUrl(location.search);
  const entry: Early = {
    promise: fetch(url, { headers: { authorization: `Bearer ${key}`, accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)
      .then((v: unknown) => (entry.value = v)),
  };
  early.set(url, entry);
}

/** The early answer for `url` if it has already arrived (taken: later loads ask the API). */
export function peekEarly<T>(url: string): T | undefined {
  const e = early.get(url);
  if (!e || e.value === undefined || e.value === null) return undefined;
  early.delete(url);
  return e.value as T;
}

/** The early answer for `url`, once (later loads ask the API as usual); null when there is none. */
export async function takeEarly<T>(url: string): Promise<T | null> {
  const e = early.get(url);
  if (!e) return null;
  early.delete(url);
  return (await e.promise) as T | null;
}
