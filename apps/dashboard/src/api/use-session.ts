import { useSyncExternalStore } from "react";
import { getApiKey, onApiKeyChange } from "./session";

/** The signed-in key (null when signed out); re-renders on sign-in and sign-out. */
export function useApiKey(): string | null {
  return useSyncExternalStore(
    (cb) => onApiKeyChange(cb),
    () => getApiKey(),
    () => null,
  );
}
