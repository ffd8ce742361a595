/** React binding of followEvents: one stream per (url, after), closed on unmount. */
import { useEffect, useRef, useState } from "react";
import { getApiKey } from "./session";
import { followEvents, type StreamEvent, type StreamStatus } from "./sse";

export function useEventStream<T>(
  url: string | null,
  after: number | null,
  onEvent: (e: StreamEvent<T>) => void,
): { status: StreamStatus | "idle"; detail: string | undefined } {
  const [state, setState] = useState<{ status: StreamStatus | "idle"; detail: string | undefined }>({ status: "idle", detail: undefined });
  // The latest handler without reopening the stream when it changes.
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (url === null || after === null) return;
    const ac = new AbortController();
    void followEvents<T>({
      url,
      after,
      signal: ac.signal,
      headers: () => ({ authorization: `Bearer ${getApiKey() ?? ""}` }),
      onEvent: (e) => handler.current(e),
      onStatus: (status, detail) => !ac.signal.aborted && setState({ status, detail }),
    });
    return () => ac.abort();
  }, [url, after]);
  return state;
}
