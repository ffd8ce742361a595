/**
 * One job, live over its event stream (from the first event, so the page shows the whole
 * history and then follows): log, metric charts, checkpoints, and attempts with failure kind and
 * message.
 */
import { useCallback, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import type { AttemptView, CheckpointView, Job, JobEvent } from "../api/types";
import { useEventStream } from "../api/use-event-stream";
import type { StreamEvent } from "../api/sse";
import { ErrorNotice, Facts, LiveStatus, Loading, PageTitle, Progress, StateBadge } from "../components/common";
import { LogView, type LogLine } from "../components/LogView";
import { LineChart } from "../components/LineChart";
import { TERMINAL, duration, num, short, when } from "../lib/format";
import { chartsFor, columns, metricPoint, withThroughput, type MetricPoint } from "../lib/metrics";

const MAX_LINES = 5000;

function lineOf(e: JobEvent): LogLine | null {
  const d = e.data;
  switch (e.type) {
    case "log":
      return { seq: e.seq, at: e.createdAt, level: String(d.level ?? "info"), text: String(d.message ?? "") };
    case "warning":
      return { seq: e.seq, at: e.createdAt, level: "warn", text: String(d.message ?? JSON.stringify(d)) };
    case "status": {
      const err = d.error as { code?: string; message?: string } | undefined;
      const text = `state → ${String(d.state)}${d.message ? ` (${String(d.message)})` : ""}${err ? ` ${err.code}: ${err.message}` : ""}`;
      return { seq: e.seq, at: e.createdAt, level: d.state === "failed" ? "error" : "status", text };
    }
    case "checkpoint":
      return { seq: e.seq, at: e.createdAt, level: "info", text: `checkpoint at step ${String(d.step)} saved (${String(d.path)})` };
    case "eval":
      return { seq: e.seq, at: e.createdAt, level: "info", text: `evaluated ${String(d.split)}: ${JSON.stringify(d.metrics)}` };
    case "metrics":
      return null; // drawn as charts
    default: {
      const never: never = e.type;
      return { seq: e.seq, at: e.createdAt, level: "info", text: String(never) };
    }
  }
}

export function JobPage() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ["job", id],
    queryFn: ({ signal }) => api<Job>(`/v1/jobs/${encodeURIComponent(id)}`, { signal }),
  });
  const checkpoints = useQuery({
    queryKey: ["job-checkpoints", id],
    queryFn: ({ signal }) => api<{ items: CheckpointView[] }>(`/v1/jobs/${id}/checkpoints`, { signal }),
    enabled: job.isSuccess,
  });
  const attempts = useQuery({
    queryKey: ["job-attempts", id],
    queryFn: ({ signal }) => api<{ items: AttemptView[] }>(`/v1/jobs/${id}/attempts`, { signal }),
    enabled: job.isSuccess,
  });

  const [log, setLog] = useState<{ lines: LogLine[]; dropped: number }>({ lines: [], dropped: 0 });
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const [other, setOther] = useState("");

  const onEvent = useCallback(
    ({ data: e }: StreamEvent<JobEvent>) => {
      if (e.type === "metrics") {
        const p = metricPoint(e);
        if (p) setPoints((ps) => [...ps, p]);
        return;
      }
      const line = lineOf(e);
      if (line) {
        setLog(({ lines, dropped }) =>
          lines.length < MAX_LINES ? { lines: [...lines, line], dropped } : { lines: [...lines.slice(1), line], dropped: dropped + 1 },
        );
      }
      if (e.type === "status") {
        void queryClient.invalidateQueries({ queryKey: ["job", id] });
        void queryClient.invalidateQueries({ queryKey: ["job-attempts", id] });
      }
      if (e.type === "checkpoint") void queryClient.invalidateQueries({ queryKey: ["job-checkpoints", id] });
    },
    [id, queryClient],
  );
  const stream = useEventStream<JobEvent>(job.isSuccess ? `/v1/jobs/${id}/events/stream` : null, job.isSuccess ? 0 : null, onEvent);

  const series = useMemo(() => withThroughput(points), [points]);
  const { charts, other: otherKeys } = useMemo(() => chartsFor(series), [series]);
  const otherKey = otherKeys.includes(other) ? other : (otherKeys[0] ?? "");

  if (job.isPending) return <Loading what="the job" />;
  if (job.error || !job.data) {
    return (
      <>
        <PageTitle title="Job">Job</PageTitle>
        <ErrorNotice error={job.error} what="this job" />
      </>
    );
  }
  const j = job.data;
  const last = points[points.length - 1];
  // While it runs, the newest metrics event is fresher than the row's throttled progress.
  const progress =
    j.state === "succeeded" ? 1 : !TERMINAL.has(j.state) && last?.maxSteps ? Math.max(j.progress, last.step / last.maxSteps) : j.progress;

  const chart = (key: string, title: string, keys: string[], unit: string) => {
    const { x, ys } = columns(series, keys);
    const latest = keys.map((k, i) => `${k} ${num(ys[i]?.[ys[i]!.length - 1] ?? null)}`).join(", ");
    return (
      <LineChart
        key={key}
        title={title}
        x={x}
        series={keys.map((k, i) => ({ label: k, values: ys[i]! }))}
        xLabel="step"
        yLabel={unit}
        format={(v) => num(v, 4)}
        summary={x.length ? `${x.length} points up to step ${x[x.length - 1]}; latest ${latest}` : "no points yet"}
      />
    );
  };

  return (
    <>
      <PageTitle
        title={j.name}
        sub={
          <>
            {j.kind} job of <Link to={`/experiments/${j.experimentId}`}>its experiment</Link>
          </>
        }
      >
        {j.name}
      </PageTitle>
      <section className="summary-bar" aria-label="Status">
        <StateBadge state={j.state} />
        <Progress value={progress} label="Job progress" />
        <LiveStatus status={stream.status} detail={stream.detail} />
        {last && (
          <span className="muted" data-testid="step">
            step {last.step}
            {last.maxSteps ? ` of ${last.maxSteps}` : ""}
          </span>
        )}
      </section>
      {j.error && (
        <div className="notice error" role="status">
          <strong>{j.failureKind ?? "error"}</strong> <code className="code">{j.error.code}</code> {j.error.message}
        </div>
      )}
      <Facts
        items={[
          ["Kind", j.kind],
          ["Arm", j.arm ?? "–"],
          ["Seed", j.seed ?? "–"],
          ["Attempts", `${j.attempts} of ${j.maxAttempts}`],
          ["Started", when(j.startedAt)],
          ["Finished", when(j.finishedAt)],
          ["Ran for", j.startedAt ? duration(j.startedAt, j.finishedAt) : "–"],
          ["Depends on", j.dependsOn.join(", ") || "–"],
        ]}
      />

      <section aria-labelledby="metrics-title">
        <h2 id="metrics-title">Metrics</h2>
        {charts.length === 0 ? (
          <p className="empty">
            {j.kind === "sft" || j.kind === "grpo"
              ? "No metrics yet: the trainer reports them as it trains."
              : "This job reports no training metrics."}
          </p>
        ) : (
          <div className="charts">
            {charts.map((c) => chart(c.id, c.title, c.keys, c.unit))}
            {otherKey && (
              <div className="other-metric">
                <label htmlFor="other-metric">More metrics</label>
                <select id="other-metric" value={otherKey} onChange={(e) => setOther(e.target.value)}>
                  {otherKeys.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
                {chart(`other-${otherKey}`, otherKey, [otherKey], otherKey)}
              </div>
            )}
          </div>
        )}
      </section>

      <section aria-labelledby="log-title">
        <h2 id="log-title">Log</h2>
        <LogView lines={log.lines} dropped={log.dropped} />
      </section>

      <section aria-labelledby="ckpt-title">
        <h2 id="ckpt-title">Checkpoints</h2>
        <ErrorNotice error={checkpoints.error} what="checkpoints" />
        {checkpoints.data && checkpoints.data.items.length === 0 ? (
          <p className="empty">No checkpoints{j.kind === "sft" || j.kind === "grpo" ? " yet" : " (this kind of job writes none)"}.</p>
        ) : (
          <div className="table-wrap">
            <table className="list responsive">
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Served as</th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">Saved</th>
                </tr>
              </thead>
              <tbody>
                {checkpoints.data?.items.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Step">{c.step}</td>
                    <td data-label="Kind">{c.kind}</td>
                    <td data-label="Served as">
                      <code>{c.servingName}</code>
                    </td>
                    <td data-label="SHA-256">
                      <code title={c.sha256}>{short(c.sha256)}</code>
                    </td>
                    <td data-label="Saved">{when(c.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        <ErrorNotice error={attempts.error} what="attempts" />
        {attempts.data && attempts.data.items.length === 0 ? (
          <p className="empty">Not started yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="list responsive">
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Ran for</th>
                  <th scope="col">Failure kind</th>
                  <th scope="col">Error</th>
                  <th scope="col">Where</th>
                </tr>
              </thead>
              <tbody>
                {attempts.data?.items.map((a) => (
                  <tr key={a.attempt}>
                    <td data-label="Attempt">{a.attempt}</td>
                    <td data-label="Outcome">
                      <StateBadge state={a.outcome === "retried" ? "failed" : a.outcome} />
                      {a.outcome === "retried" ? " retried" : ""}
                    </td>
                    <td data-label="Ran for">{duration(a.startedAt, a.endedAt)}</td>
                    <td data-label="Failure kind">{a.failureKind ?? "–"}</td>
                    <td data-label="Error">{a.error ? `${a.error.code}: ${a.error.message}` : "–"}</td>
                    <td data-label="Where">{a.message ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
