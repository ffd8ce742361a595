/**
 * Success over checkpoints per split (the paper's Figure 1): one small chart per split, one line
 * per arm (and seed), from GET /v1/experiments/:id/curves.
 */
import type { CurvesResponse } from "../api/types";
import { pct } from "../lib/format";
import { LineChart, PALETTE, type Series } from "./LineChart";

const GROUP_ORDER = ["id", "instruction", "difficulty", "fake"];

export function Curves({ data }: { data: CurvesResponse }) {
  const seeds = new Set(data.curves.map((c) => c.seed));
  const splits = [...data.splits].sort(
    (a, b) =>
      GROUP_ORDER.indexOf(data.curves.find((c) => c.split === a)?.group ?? "id") -
      GROUP_ORDER.indexOf(data.curves.find((c) => c.split === b)?.group ?? "id"),
  );
  return (
    <div className="curves">
      {splits.map((split) => {
        const curves = data.curves.filter((c) => c.split === split);
        if (!curves.length) return null;
        const x = [...new Set(curves.flatMap((c) => c.points.map((p) => p.step)))].sort((a, b) => a - b);
        const series: Series[] = curves.map((c) => {
          const byStep = new Map(c.points.map((p) => [p.step, p.success]));
          const armIndex = Math.max(0, data.arms.indexOf(c.arm));
          return {
            label: seeds.size > 1 ? `${c.arm} s${c.seed}` : c.arm,
            values: x.map((s) => byStep.get(s) ?? null),
            color: PALETTE[armIndex % PALETTE.length]!,
            ...([...seeds].indexOf(c.seed) > 0 ? { dash: [6, 4] } : {}),
          };
        });
        const summary = curves
          .map((c) => {
            const first = c.points[0];
            const last = c.points[c.points.length - 1];
            return first && last
              ? `${c.arm}: ${pct(first.success)} at step ${first.step} to ${pct(last.success)} at step ${last.step}`
              : "";
          })
          .filter(Boolean)
          .join("; ");
        return (
          <LineChart
            key={split}
            title={`${split} (${curves[0]!.group})`}
            x={x}
            series={series}
            xLabel="step"
            yLabel="success"
            yRange={[0, 1]}
            format={(v) => pct(v)}
            summary={summary}
            height={180}
          />
        );
      })}
    </div>
  );
}
