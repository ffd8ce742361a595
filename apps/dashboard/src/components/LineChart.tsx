/**
 * A line chart on uPlot (canvas: cheap to redraw on every live point). The figure carries a text
 * summary for screen readers and `data-points` for tests; the legend shows values under the cursor.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

export interface Series {
  label: string;
  values: (number | null)[];
  color?: string;
  dash?: number[];
}

interface Props {
  title: string;
  x: number[];
  series: Series[];
  xLabel: string;
  yLabel: string;
  /** Fixed y range, e.g. [0, 1] for success rates. */
  yRange?: [number, number];
  format?: (v: number) => string;
  /** Read by screen readers in place of the drawing. */
  summary: string;
  height?: number;
}

export function LineChart({ title, x, series, xLabel, yLabel, yRange, format, summary, height = 220 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const structure = series.map((s) => `${s.label}|${s.color ?? ""}|${s.dash?.join(",") ?? ""}`).join(";");
  const fmt = useRef(format);
  fmt.current = format;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, ...(yRange ? { y: { range: yRange } } : {}) },
      axes: [
        { label: xLabel, stroke: "#374151", grid: { stroke: "#e5e7eb" } },
        {
          label: yLabel,
          stroke: "#374151",
          grid: { stroke: "#e5e7eb" },
          size: 64,
          values: (_u, vals) => vals.map((v) => (fmt.current ? fmt.current(v) : String(v))),
        },
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          // Dots help while a run has few points; past that they only thicken the line.
          points: { show: (u: uPlot) => (u.data[0]?.length ?? 0) <= 60, size: 5 },
          ...(s.dash ? { dash: s.dash } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : fmt.current ? fmt.current(v) : String(Number(v.toPrecision(4)))),
        })),
      ],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
    u.ctx.canvas.setAttribute("role", "img");
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure, height, xLabel, yLabel, yRange?.[0], yRange?.[1]]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as unknown as uPlot.AlignedData);
    plot.current?.ctx.canvas.setAttribute("aria-label", `${title}. ${summary}`);
  }, [x, series, structure, title, summary]);

  return (
    <figure className="chart" data-points={x.length}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" />
    </figure>
  );
}
