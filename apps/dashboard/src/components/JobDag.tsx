/**
 * The experiment's job graph, drawn: dataset-build → training (per arm × seed) → evaluation,
 * each node a link to its job with the live state and progress. Layout: lib/dag.ts.
 */
import { useNavigate } from "react-router";
import type { Job } from "../api/types";
import { layoutDag } from "../lib/dag";
import { STATE_LABEL, pct } from "../lib/format";

const W = 200;
const H = 58;
const GAP_X = 56;
const GAP_Y = 14;
const PAD = 8;

export function JobDag({ jobs }: { jobs: Job[] }) {
  const navigate = useNavigate();
  const layout = layoutDag(jobs);
  const x = (col: number) => PAD + col * (W + GAP_X);
  const y = (row: number) => PAD + row * (H + GAP_Y);
  const width = x(layout.cols - 1) + W + PAD;
  const height = y(layout.rows - 1) + H + PAD;
  return (
    <div className="dag-scroll">
      <svg
        className="dag"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label={`Job graph: ${jobs.length} jobs, ${jobs.filter((j) => j.state === "succeeded").length} succeeded`}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#6b7280" />
          </marker>
        </defs>
        {layout.edges.map(({ from, to }) => {
          const x1 = x(from.col) + W;
          const y1 = y(from.row) + H / 2;
          const x2 = x(to.col);
          const y2 = y(to.row) + H / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${from.job.id}-${to.job.id}`}
              className={`edge edge-${to.job.state}`}
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`}
              markerEnd="url(#arrow)"
            />
          );
        })}
        {layout.nodes.map(({ job, col, row }) => {
          const href = `/jobs/${job.id}`;
          // The link's name is its visible text: the job's name and state (and progress, tries).
          return (
            <a
              key={job.id}
              href={href}
              className={`dag-node state-${job.state}`}
              data-job={job.name}
              data-state={job.state}
              onClick={(e) => {
                if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                e.preventDefault();
                navigate(href);
              }}
            >
              <rect x={x(col)} y={y(row)} width={W} height={H} rx={8} />
              <text x={x(col) + 10} y={y(row) + 20} className="dag-name">
                {job.name.length > 26 ? `${job.name.slice(0, 25)}…` : job.name}
              </text>
              <text x={x(col) + 10} y={y(row) + 38} className="dag-state">
                {STATE_LABEL[job.state] ?? job.state}
                {job.state === "running" ? ` · ${pct(job.progress)}` : ""}
                {job.attempts > 1 ? ` · try ${job.attempts}` : ""}
              </text>
              <rect x={x(col) + 10} y={y(row) + H - 12} width={W - 20} height={4} rx={2} className="dag-track" />
              <rect
                x={x(col) + 10}
                y={y(row) + H - 12}
                width={(W - 20) * Math.max(0, Math.min(1, job.state === "succeeded" ? 1 : job.progress))}
                height={4}
                rx={2}
                className="dag-bar"
              />
            </a>
          );
        })}
      </svg>
    </div>
  );
}
