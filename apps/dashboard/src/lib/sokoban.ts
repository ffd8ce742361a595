/**
 * Sokoban boards for drawing. Two sources, one symbol set (packages/envs/src/sokoban/board.ts):
 * dataset rows carry `rows` (one character per cell: `# _ O X P √ S`); an evaluation turn
 * carries only its prompt, whose observation block renders each cell as ` c \t`
 * (renderObservation) between `[Current Observation]:` and `Decide the next action:`.
 */

export type Tile = "wall" | "floor" | "target" | "box" | "box-on-target" | "player" | "player-on-target";

const TILES: Record<string, Tile> = {
  "#": "wall",
  _: "floor",
  O: "target",
  X: "box",
  "√": "box-on-target",
  P: "player",
  S: "player-on-target",
};

export interface Board {
  rows: number;
  cols: number;
  tiles: Tile[][];
}

/** Null when a row has an unknown symbol or the board is not a rectangle. */
export function parseBoard(rows: readonly string[]): Board | null {
  if (!rows.length) return null;
  const tiles: Tile[][] = [];
  for (const r of rows) {
    const line: Tile[] = [];
    for (const ch of Array.from(r)) {
      const t = TILES[ch];
      if (!t) return null;
      line.push(t);
    }
    tiles.push(line);
  }
  const cols = tiles[0]!.length;
  if (!cols || tiles.some((l) => l.length !== cols)) return null;
  return { rows: tiles.length, cols, tiles };
}

/** The board rows shown in a prompt, or null when the prompt has no observation block. */
export function rowsFromPrompt(prompt: string): string[] | null {
  const start = prompt.indexOf("[Current Observation]:\n");
  if (start < 0) return null;
  const from = start + "[Current Observation]:\n".length;
  const end = prompt.indexOf("\nDecide the next action:", from);
  if (end < 0) return null;
  const lines = prompt.slice(from, end).split("\n");
  const rows = lines.map((l) =>
    l
      .split("\t")
      .map((c) => c.trim())
      .filter((c) => c !== "")
      .join(""),
  );
  return rows.every((r) => r.length) ? rows : null;
}

export function boardFromPrompt(prompt: string): Board | null {
  const rows = rowsFromPrompt(prompt);
  return rows ? parseBoard(rows) : null;
}

/** A one-sentence description for screen readers. */
export function describeBoard(b: Board): string {
  let boxes = 0;
  let onTarget = 0;
  let targets = 0;
  let player = "";
  b.tiles.forEach((line, r) =>
    line.forEach((t, c) => {
      if (t === "box" || t === "box-on-target") boxes++;
      if (t === "box-on-target") onTarget++;
      if (t === "target" || t === "box-on-target" || t === "player-on-target") targets++;
      if (t === "player" || t === "player-on-target") player = `row ${r + 1}, column ${c + 1}`;
    }),
  );
  return `Sokoban board ${b.rows}×${b.cols}: player at ${player || "unknown"}, ${boxes} box${boxes === 1 ? "" : "es"}, ${targets} target${
    targets === 1 ? "" : "s"
  }, ${onTarget} on target`;
}
