/**
 * The API key lives in this tab's sessionStorage: it survives reloads, is gone when the tab
 * closes, and is sent only as a bearer header (never a cookie, so no CSRF surface).
 */
const STORAGE_KEY = "trainyard.apiKey";

type Listener = (key: string | null) => void;
const listeners = new Set<Listener>();

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the user signs in again on each load
  }
}

export function setApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing to do: the key then lives only as long as the page
  }
  for (const l of listeners) l(key);
}

export function onApiKeyChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
