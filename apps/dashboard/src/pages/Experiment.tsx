/**
 * One experiment: its job graph with live states (experiment event stream), cancel, the
 * generalization matrix as a heat map, success curves over checkpoints, and links to its dataset
 * and evaluation items.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, download, qs } from "../api/client";
import { useExperiment } from "../api/queries";
import type { CurvesResponse, DatasetListItem, JobEvent, Matrix, Selection } from "../api/types";
import { useEventStream } from "../api/use-event-stream";
import { ErrorNotice, Facts, LiveStatus, Loading, PageTitle, Progress, StateBadge } from "../components/common";
import { JobDag } from "../components/JobDag";
import { MatrixHeatmap } from "../components/MatrixHeatmap";
import { Curves } from "../components/Curves";
import { TERMINAL, ago, duration, pct, when } from "../lib/format";

const RULES: Selection[] = ["paper", "ours", "last"];

export function ExperimentPage() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const exp = useExperiment(id);
  const [selection, setSelection] = useState<Selection>("paper");
  const e = exp.data;
  const live = e ? !TERMINAL.has(e.state) : false;

  const matrix = useQuery({
    queryKey: ["matrix", id, selection],
    queryFn: ({ signal }) => api<Matrix>(`/v1/experiments/${id}/matrix${qs({ select: selection })}`, { signal }),
    enabled: !!e,
    placeholderData: keepPreviousData,
  });
  const curves = useQuery({
    queryKey: ["curves", id],
    queryFn: ({ signal }) => api<CurvesResponse>(`/v1/experiments/${id}/curves`, { signal }),
    enabled: !!e,
  });
  const datasets = useQuery({
    queryKey: ["datasets-of", id],
    queryFn: ({ signal }) => api<{ items: DatasetListItem[] }>(`/v1/datasets${qs({ experimentId: id, limit: 1 })}`, { signal }),
    enabled: !!e,
    refetchInterval: (q) => (live && !q.state.data?.items.length ? 3_000 : false),
  });

  // Live: every event of the experiment's jobs refreshes the view (at most once a second);
  // evaluations also refresh the matrix and the curves.
  const pending = useRef<{ exp: boolean; evals: boolean; timer: number | null }>({ exp: false, evals: false, timer: null });
  const onEvent = useCallback(
    (ev: { data: JobEvent }) => {
      const p = pending.current;
      p.exp = true;
      if (ev.data.type === "eval" || (ev.data.type === "status" && ev.data.data.state === "succeeded")) p.evals = true;
      if (p.timer !== null) return;
      p.timer = window.setTimeout(() => {
        p.timer = null;
        if (p.exp) void queryClient.invalidateQueries({ queryKey: ["experiment", id] });
        if (p.evals) {
          void queryClient.invalidateQueries({ queryKey: ["matrix", id] });
          void queryClient.invalidateQueries({ queryKey: ["curves", id] });
        }
        p.exp = p.evals = false;
      }, 1000);
    },
    [id, queryClient],
  );
  useEffect(() => () => void (pending.current.timer !== null && clearTimeout(pending.current.timer)), []);
  // Start after the events already reflected in the loaded experiment.
  const [streamFrom, setStreamFrom] = useState<number | null>(null);
  useEffect(() => {
    if (e && live && streamFrom === null) setStreamFrom(e.eventSeq);
  }, [e, live, streamFrom]);
  const stream = useEventStream<JobEvent>(live && streamFrom !== null ? `/v1/experiments/${id}/events/stream` : null, streamFrom, onEvent);

  const [confirming, setConfirming] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const cancel = async () => {
    try {
      await api(`/v1/experiments/${id}/cancel`, { method: "POST" });
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: ["experiment", id] });
    } catch (err) {
      setCancelError(err);
    }
  };

  if (exp.isPending) return <Loading what="the experiment" />;
  if (exp.error || !e) {
    return (
      <>
        <PageTitle title="Experiment">Experiment</PageTitle>
        <ErrorNotice error={exp.error} what="this experiment" />
      </>
    );
  }

  const dataset = datasets.data?.items[0];
  const anyEval = (curves.data?.curves.length ?? 0) > 0;
  const multiStep = curves.data?.curves.some((c) => c.points.length > 1) ?? false;
  const hasPaper = e.preset?.startsWith("paper-");

  return (
    <>
      <PageTitle
        title={e.name}
        sub={
          <>
            {e.task} · {e.preset ?? "custom spec"} · created <time dateTime={e.createdAt}>{ago(e.createdAt)}</time>
          </>
        }
      >
        {e.name}
      </PageTitle>
      <section className="summary-bar" aria-label="Status">
        <StateBadge state={e.state} />
        <Progress value={e.progress} label="Experiment progress" />
        {live && <LiveStatus status={stream.status} detail={stream.detail} />}
        <div className="spacer" />
        {dataset && <Link to={`/datasets/${dataset.id}`}>Dataset</Link>}
        {anyEval && <Link to={`/experiments/${id}/items`}>Evaluation items</Link>}
        {live &&
          (confirming ? (
            <span className="confirm" role="group" aria-label="Confirm cancel">
              <span>Cancel every queued and running job?</span>
              <button type="button" className="danger" onClick={() => void cancel()}>
                Yes, cancel
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep running
              </button>
            </span>
          ) : (
            e.state !== "cancel_requested" && (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>
                Cancel experiment
              </button>
            )
          ))}
      </section>
      <ErrorNotice error={cancelError} what="the cancel" />

      <section aria-labelledby="jobs-title">
        <h2 id="jobs-title">Jobs</h2>
        <JobDag jobs={e.jobs} />
        <details className="jobs-table">
          <summary>Jobs as a table</summary>
          <div className="table-wrap">
            <table className="list responsive">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">State</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Ran for</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {e.jobs.map((j) => (
                  <tr key={j.id}>
                    <td data-label="Job">
                      <Link to={`/jobs/${j.id}`}>{j.name}</Link>
                    </td>
                    <td data-label="State">
                      <StateBadge state={j.state} />
                    </td>
                    <td data-label="Progress">{pct(j.state === "succeeded" ? 1 : j.progress)}</td>
                    <td data-label="Attempts">
                      {j.attempts}/{j.maxAttempts}
                    </td>
                    <td data-label="Ran for">{j.startedAt ? duration(j.startedAt, j.finishedAt) : "–"}</td>
                    <td data-label="Error">{j.error ? `${j.error.code}: ${j.error.message}` : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </section>

      <section aria-labelledby="matrix-title">
        <h2 id="matrix-title">Generalization matrix</h2>
        <div className="matrix-controls">
          <fieldset className="radio-row">
            <legend>Checkpoint rule</legend>
            {RULES.map((r) => (
              <label key={r} title={matrix.data?.selectionRules[r]}>
                <input type="radio" name="selection" value={r} checked={selection === r} onChange={() => setSelection(r)} /> {r}
              </label>
            ))}
          </fieldset>
          <button
            type="button"
            onClick={() =>
              void download(`/v1/experiments/${id}/matrix${qs({ select: selection, format: "csv" })}`, `matrix-${e.name}-${selection}.csv`)
            }
            disabled={!anyEval}
          >
            Download CSV
          </button>
        </div>
        {matrix.data && (
          <p className="muted small">
            Rule “{selection}”: {matrix.data.selectionRules[selection]}.
          </p>
        )}
        <ErrorNotice error={matrix.error instanceof ApiError ? matrix.error : null} what="the matrix" />
        {!anyEval ? (
          <p className="empty">No evaluations yet: the matrix fills in as each arm's evaluation finishes.</p>
        ) : (
          matrix.data && <MatrixHeatmap matrix={matrix.data} />
        )}
        {matrix.data && !hasPaper && anyEval && (
          <p className="muted small">The paper's values are shown for the paper presets (this one is {e.preset ?? "a custom spec"}).</p>
        )}
        {matrix.data && matrix.data.paired.length > 0 && (
          <details>
            <summary>Paired differences between arms (same items)</summary>
            <div className="table-wrap">
              <table className="list">
                <thead>
                  <tr>
                    <th scope="col">Arms</th>
                    <th scope="col">Split</th>
                    <th scope="col">Difference</th>
                    <th scope="col">95 % CI</th>
                    <th scope="col">Pairs</th>
                  </tr>
                </thead>
                <tbody>
                  {matrix.data.paired.map((d) => (
                    <tr key={`${d.a}-${d.b}-${d.split}`}>
                      <td>
                        {d.a} − {d.b}
                      </td>
                      <td>{d.split}</td>
                      <td>{pct(d.diff, 1)}</td>
                      <td>
                        {pct(d.ci95[0], 1)} to {pct(d.ci95[1], 1)}
                      </td>
                      <td>{d.n}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        )}
      </section>

      {curves.data && multiStep && (
        <section aria-labelledby="curves-title">
          <h2 id="curves-title">Success over checkpoints</h2>
          <p className="muted small">Each evaluated checkpoint's success per split (the paper's Figure 1).</p>
          <Curves data={curves.data} />
        </section>
      )}

      <section aria-labelledby="facts-title">
        <h2 id="facts-title">Details</h2>
        <Facts
          items={[
            ["Id", <code key="id">{e.id}</code>],
            ["Model", e.spec.model.engine === "hf" ? e.spec.model.id : `cpu-tiny ${e.spec.model.dModel}×${e.spec.model.layers}`],
            ["Arms", e.spec.arms.map((a) => a.name).join(", ")],
            ["Seeds", e.spec.seeds.join(", ")],
            ["Splits", e.spec.splits.join(", ")],
            ["Created", when(e.createdAt)],
            ["Finished", when(e.finishedAt)],
            ["Spec hash", <code key="h">{e.specHash.slice(0, 16)}…</code>],
          ]}
        />
      </section>
    </>
  );
}
