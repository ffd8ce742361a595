/** A Sokoban board drawn as a grid: walls, floor, targets, boxes (on target or not), the player. */
import { describeBoard, type Board, type Tile } from "../lib/sokoban";

const CELL = 24;

function TileShape({ t, x, y }: { t: Tile; x: number; y: number }) {
  const c = CELL;
  const target = t === "target" || t === "box-on-target" || t === "player-on-target";
  return (
    <g transform={`translate(${x * c} ${y * c})`} className={`tile tile-${t}`}>
      <rect width={c} height={c} className={t === "wall" ? "wall" : "floor"} />
      {t === "wall" && (
        <path d={`M0 ${c / 2}H${c}M${c / 2} 0V${c / 2}M${c / 4} ${c / 2}V${c}M${(3 * c) / 4} ${c / 2}V${c}`} className="mortar" />
      )}
      {target && <circle cx={c / 2} cy={c / 2} r={c * 0.3} className="target" />}
      {(t === "box" || t === "box-on-target") && (
        <g className={t === "box" ? "box" : "box on-target"}>
          <rect x={c * 0.16} y={c * 0.16} width={c * 0.68} height={c * 0.68} rx={2} />
          <path d={`M${c * 0.16} ${c * 0.16}L${c * 0.84} ${c * 0.84}M${c * 0.84} ${c * 0.16}L${c * 0.16} ${c * 0.84}`} />
        </g>
      )}
      {(t === "player" || t === "player-on-target") && (
        <g className="player">
          <circle cx={c / 2} cy={c * 0.32} r={c * 0.16} />
          <path d={`M${c * 0.26} ${c * 0.86}Q${c / 2} ${c * 0.4} ${c * 0.74} ${c * 0.86}Z`} />
        </g>
      )}
    </g>
  );
}

export function SokobanBoard({ board, caption }: { board: Board; caption?: string }) {
  return (
    <figure className="board">
      <svg
        viewBox={`0 0 ${board.cols * CELL} ${board.rows * CELL}`}
        width={board.cols * CELL}
        height={board.rows * CELL}
        role="img"
        aria-label={describeBoard(board)}
        data-rows={board.rows}
        data-cols={board.cols}
      >
        {board.tiles.map((line, y) => line.map((t, x) => <TileShape key={`${x}-${y}`} t={t} x={x} y={y} />))}
      </svg>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}

export function BoardLegend() {
  const items: [Tile, string][] = [
    ["wall", "wall"],
    ["floor", "floor"],
    ["target", "target"],
    ["box", "box"],
    ["box-on-target", "box on target"],
    ["player", "player"],
  ];
  return (
    <ul className="board-legend" aria-label="Board legend">
      {items.map(([t, label]) => (
        <li key={t}>
          <svg viewBox={`0 0 ${CELL} ${CELL}`} width={18} height={18} aria-hidden="true">
            <TileShape t={t} x={0} y={0} />
          </svg>
          {label}
        </li>
      ))}
    </ul>
  );
}
