/**
 * The generalization matrix as a heat map: arms × splits, columns grouped ID / instruction /
 * difficulty / Fake as in the paper's Table 1, the paper's value beside each cell where the
 * preset has one, the 95 % CI in the cell and in full on hover or focus, and each split's
 * train/eval overlap under its column.
 */
import { useId, useState } from "react";
import type { Matrix, MatrixCell } from "../api/types";
import { heatColors } from "../lib/heat";
import { pct } from "../lib/format";

const GROUPS = ["id", "instruction", "difficulty", "fake"] as const;
const GROUP_LABEL: Record<(typeof GROUPS)[number], string> = {
  id: "In distribution",
  instruction: "Instruction variants",
  difficulty: "Difficulty variants",
  fake: "Fake*",
};

export function orderedSplits(m: Pick<Matrix, "splits" | "groups">): { group: (typeof GROUPS)[number]; splits: string[] }[] {
  return GROUPS.map((group) => ({ group, splits: m.splits.filter((s) => (m.groups[s] ?? "id") === group) })).filter((g) => g.splits.length);
}

function cellText(arm: string, split: string, c: MatrixCell, steps: string): string {
  return [
    `${arm} on ${split}: ${pct(c.mean, 1)} success`,
    `95% CI ${pct(c.ci95[0], 1)}–${pct(c.ci95[1], 1)}`,
    `n = ${c.n} items over ${c.seeds} seed${c.seeds === 1 ? "" : "s"}`,
    `validity ${pct(c.validity)}`,
    c.paper !== null ? `paper ${pct(c.paper)}` : "no paper value",
    steps,
  ]
    .filter(Boolean)
    .join("; ");
}

export function MatrixHeatmap({ matrix }: { matrix: Matrix }) {
  const tipId = useId();
  const [tip, setTip] = useState<{ text: string; x: number; y: number; key: string } | null>(null);
  const groups = orderedSplits(matrix);
  const splits = groups.flatMap((g) => g.splits);
  const hasPaper = matrix.rows.some((r) => Object.values(r.cells).some((c) => c?.paper !== null && c?.paper !== undefined));
  const overlap = matrix.overlap?.splits ?? null;

  const show = (el: HTMLElement, text: string, key: string) => {
    const r = el.getBoundingClientRect();
    setTip({ text, key, x: r.left + r.width / 2, y: r.bottom + 6 }); // viewport coordinates: the tooltip is position: fixed
  };

  return (
    <div className="matrix">
      <div className="matrix-scroll">
        <table className="heatmap" data-selection={matrix.selection}>
          <caption>
            Success rate per arm and split, checkpoint rule “{matrix.selection}”. The small line is the 95 % CI
            {hasPaper ? `; “paper” is the value in the paper's Table 1 (${matrix.paperModel ?? "Qwen2.5-7B"})` : ""}. Hover or focus a cell
            for details.
          </caption>
          <thead>
            <tr>
              <th scope="col" rowSpan={2} className="arm-col">
                Arm
              </th>
              {groups.map((g) => (
                <th key={g.group} scope="colgroup" colSpan={g.splits.length} className={`group group-${g.group}`}>
                  {GROUP_LABEL[g.group]}
                </th>
              ))}
            </tr>
            <tr>
              {splits.map((s) => (
                <th key={s} scope="col" className={`split group-${matrix.groups[s] ?? "id"}`}>
                  {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.rows.map((row) => (
              <tr key={row.arm}>
                <th scope="row" className="arm-col">
                  <span className="arm">{row.arm}</span>
                  <span className="arm-sub">
                    {row.method} · {row.data} · {row.target}
                  </span>
                </th>
                {splits.map((s) => {
                  const c = row.cells[s];
                  if (!c) {
                    return (
                      <td key={s} className="cell empty" aria-label={`${row.arm} on ${s}: not evaluated`}>
                        –
                      </td>
                    );
                  }
                  const seeds = Object.entries(row.checkpoints)
                    .map(([seed, steps]) => `seed ${seed}: step ${steps[matrix.selection] ?? steps.last ?? "?"}`)
                    .join(", ");
                  const text = cellText(row.arm, s, c, seeds ? `checkpoint ${seeds}` : "");
                  const key = `${row.arm}/${s}`;
                  const active = tip?.key === key;
                  return (
                    <td
                      key={s}
                      className="cell"
                      style={heatColors(c.mean)}
                      tabIndex={0}
                      data-cell={key}
                      data-mean={c.mean}
                      aria-label={text}
                      aria-describedby={active ? tipId : undefined}
                      onMouseEnter={(e) => show(e.currentTarget, text, key)}
                      onMouseLeave={() => setTip(null)}
                      onFocus={(e) => show(e.currentTarget, text, key)}
                      onBlur={() => setTip(null)}
                    >
                      <span className="value">{pct(c.mean)}</span>
                      <span className="ci">
                        {pct(c.ci95[0])}–{pct(c.ci95[1])}
                      </span>
                      {c.paper !== null && <span className="paper">paper {pct(c.paper)}</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
          {overlap && (
            <tfoot>
              <tr>
                <th scope="row" className="arm-col">
                  In training data
                </th>
                {splits.map((s) => {
                  const o = overlap[s];
                  return (
                    <td key={s} className={`overlap${o && o.inTrain > 0 ? " leak" : ""}`}>
                      {o ? `${o.inTrain}/${o.items}` : "–"}
                    </td>
                  );
                })}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      <p className="muted small">
        * Fake announces labels (or a face-card rule) the environment ignores: a high score means the model ignored the instruction and
        reused what it memorised. “In training data”: evaluation items whose state also occurs in the training set (
        {matrix.overlap?.policy === "remove" ? "removed from training" : "kept"}).
      </p>
      {tip && (
        <div id={tipId} role="tooltip" className="tooltip" style={{ left: tip.x, top: tip.y }}>
          {tip.text}
        </div>
      )}
    </div>
  );
}
