/**
 * The experiment list: newest first, server-side pagination (cursor) and filters (state, task,
 * preset, name search), all in the URL so a filtered page can be shared or reloaded.
 */
import { useEffect, useId, useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, qs } from "../api/client";
import { peekEarly, takeEarly } from "../api/early";
import { PAGE_SIZE, experimentsListUrl } from "../api/list-url";
import { usePresets } from "../api/queries";
import type { ExperimentCounts, ExperimentSummary, JobState, Page } from "../api/types";
import { ErrorNotice, PageTitle, Progress, StateBadge } from "../components/common";
import { STATE_LABEL, TERMINAL, ago, int, when } from "../lib/format";

export const RENDERED_MARK = "experiments-rendered";
const STATES: JobState[] = ["queued", "running", "succeeded", "failed", "cancel_requested", "cancelled"];
const TASKS = ["sokoban", "general-points"];

export function ExperimentsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const filters = {
    state: params.get("state") ?? "",
    task: params.get("task") ?? "",
    preset: params.get("preset") ?? "",
    q: params.get("q") ?? "",
  };
  const cursor = params.get("cursor") ?? "";
  // Cursors of the pages before this one, so "Newer" can go back (kept in history state).
  const stack = ((location.state as { stack?: string[] } | null)?.stack ?? []) as string[];

  const listUrl = experimentsListUrl(qs({ ...filters, cursor }));
  const list = useQuery({
    queryKey: ["experiments", filters, cursor],
    queryFn: async ({ signal }) => (await takeEarly<Page<ExperimentSummary>>(listUrl)) ?? api<Page<ExperimentSummary>>(listUrl, { signal }),
    initialData: () => peekEarly<Page<ExperimentSummary>>(listUrl),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((e) => !TERMINAL.has(e.state)) ? 5_000 : false),
  });
  const counts = useQuery({
    queryKey: ["experiment-counts", filters.task, filters.preset, filters.q],
    queryFn: ({ signal }) =>
      api<ExperimentCounts>(`/v1/experiments/counts${qs({ task: filters.task, preset: filters.preset, q: filters.q })}`, { signal }),
    placeholderData: keepPreviousData,
  });
  const presets = usePresets();

  const setFilter = (k: keyof typeof filters, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete("cursor");
    setParams(next, { replace: k === "q" });
  };

  // The search box updates the URL 300 ms after the last keystroke.
  const [q, setQ] = useState(filters.q);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => {
    if (q.trim() === filters.q) return;
    const t = setTimeout(() => setFilter("q", q.trim()), 300);
    return () => clearTimeout(t);
    // Keyed on the typed text only: a filter change elsewhere must not restart the wait.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  const goPage = (next: string | null, nextStack: string[]) => {
    const p = new URLSearchParams(params);
    if (next) p.set("cursor", next);
    else p.delete("cursor");
    navigate({ search: p.toString() }, { state: { stack: nextStack } });
  };

  const items = list.data?.items ?? [];
  // The first time rows are on screen in this document: the page's "first render" (read by the
  // browser test, and by anyone profiling with the Performance panel).
  useEffect(() => {
    if (items.length && !performance.getEntriesByName(RENDERED_MARK).length) performance.mark(RENDERED_MARK);
  }, [items.length]);
  const start = stack.length * PAGE_SIZE;
  const total = filters.state ? counts.data?.byState[filters.state as JobState] : counts.data?.total;
  const searchId = useId();

  return (
    <>
      <PageTitle
        title="Experiments"
        sub={
          total !== undefined
            ? items.length
              ? `${int(start + 1)}–${int(start + items.length)} of ${int(total)}`
              : `${int(total)} experiments`
            : undefined
        }
      >
        Experiments
      </PageTitle>
      <div className="toolbar">
        <Link className="button primary" to="/experiments/new">
          New experiment
        </Link>
      </div>
      <form className="filters" role="search" aria-label="Filter experiments" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={searchId}>Search names</label>
          <input
            id={searchId}
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            maxLength={120}
            placeholder="e.g. sokoban-lr"
          />
        </div>
        <div className="field">
          <label htmlFor="filter-state">State</label>
          <select id="filter-state" value={filters.state} onChange={(e) => setFilter("state", e.target.value)}>
            <option value="">All{counts.data ? ` (${int(counts.data.total)})` : ""}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
                {counts.data ? ` (${int(counts.data.byState[s])})` : ""}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-task">Task</label>
          <select id="filter-task" value={filters.task} onChange={(e) => setFilter("task", e.target.value)}>
            <option value="">All</option>
            {TASKS.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-preset">Preset</label>
          <select id="filter-preset" value={filters.preset} onChange={(e) => setFilter("preset", e.target.value)}>
            <option value="">All</option>
            {(presets.data?.items ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNotice error={list.error} what="experiments" />
      <div className="table-wrap">
        <table className="list responsive" data-loaded={list.isSuccess ? "true" : undefined} aria-busy={list.isFetching || undefined}>
          <caption className="sr-only">Experiments, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Preset</th>
              <th scope="col">Task</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td data-label="Name">
                  <Link to={`/experiments/${e.id}`}>{e.name}</Link>
                </td>
                <td data-label="Preset">{e.preset ?? "custom"}</td>
                <td data-label="Task">{e.task}</td>
                <td data-label="State">
                  <StateBadge state={e.state} />
                </td>
                <td data-label="Progress">
                  <Progress value={e.progress} label={`${e.name} progress`} />
                </td>
                <td data-label="Created">
                  <time dateTime={e.createdAt} title={when(e.createdAt)}>
                    {ago(e.createdAt)}
                  </time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.isSuccess && !items.length && (
        <p className="empty">
          No experiments match. {Object.values(filters).some(Boolean) ? "Clear the filters, or " : ""}
          <Link to="/experiments/new">start one from a preset</Link>.
        </p>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={!cursor} onClick={() => goPage(stack[stack.length - 1] ?? null, stack.slice(0, -1))}>
          ← Newer
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => list.data?.nextCursor && goPage(list.data.nextCursor, [...stack, cursor])}
        >
          Older →
        </button>
      </nav>
    </>
  );
}
