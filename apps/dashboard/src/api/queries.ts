/** TanStack Query hooks for the resources several pages read. */
import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { Experiment, Preset } from "./types";
import { TERMINAL } from "../lib/format";

export function usePresets() {
  return useQuery({
    queryKey: ["presets"],
    queryFn: ({ signal }) => api<{ items: Preset[] }>("/v1/presets", { signal }),
    staleTime: Infinity, // presets change only with a deployment
  });
}

/** While it runs, also polled: progress moves without events between a job's metrics. */
export function useExperiment(id: string) {
  return useQuery({
    queryKey: ["experiment", id],
    queryFn: ({ signal }) => api<Experiment>(`/v1/experiments/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (q) => (q.state.data && !TERMINAL.has(q.state.data.state) ? 5_000 : false),
  });
}
