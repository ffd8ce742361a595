/**
 * Layout of an experiment's job DAG (planJobs in packages/contracts: dataset-build → per arm ×
 * seed the training chain → eval). The graph is layered by construction, so no general layout
 * engine is needed: each arm × seed is a lane (a row), a job's column is its depth, evaluations
 * share the last column, and jobs outside any lane (the dataset build) sit mid-height.
 */

export interface DagJob {
  id: string;
  name: string;
  kind: string;
  arm: string | null;
  seed: number | null;
  dependsOn: string[];
}

export interface PlacedJob<J extends DagJob> {
  job: J;
  col: number;
  /** Row position; fractional for jobs centred across lanes. */
  row: number;
}

export interface DagLayout<J extends DagJob> {
  nodes: PlacedJob<J>[];
  edges: { from: PlacedJob<J>; to: PlacedJob<J> }[];
  cols: number;
  rows: number;
}

export function layoutDag<J extends DagJob>(jobs: readonly J[]): DagLayout<J> {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const depth = new Map<string, number>();
  const depthOf = (j: J, seen = new Set<string>()): number => {
    const known = depth.get(j.name);
    if (known !== undefined) return known;
    if (seen.has(j.name)) return 0; // a cycle cannot come from planJobs; do not recurse forever
    seen.add(j.name);
    const parents = j.dependsOn.map((n) => byName.get(n)).filter((p): p is J => p !== undefined);
    const d = parents.length ? Math.max(...parents.map((p) => depthOf(p, seen))) + 1 : 0;
    depth.set(j.name, d);
    return d;
  };
  jobs.forEach((j) => depthOf(j));
  const maxDepth = Math.max(0, ...depth.values());

  const lanes: string[] = [];
  for (const j of jobs) {
    if (j.arm === null) continue;
    const lane = `${j.arm}\u0000${j.seed ?? ""}`;
    if (!lanes.includes(lane)) lanes.push(lane);
  }
  const rows = Math.max(1, lanes.length);
  const nodes: PlacedJob<J>[] = jobs.map((job) => {
    const col = job.kind === "eval" ? maxDepth : depth.get(job.name)!;
    const lane = job.arm === null ? -1 : lanes.indexOf(`${job.arm}\u0000${job.seed ?? ""}`);
    return { job, col, row: lane < 0 ? (rows - 1) / 2 : lane };
  });
  const placed = new Map(nodes.map((n) => [n.job.name, n]));
  const edges = nodes.flatMap((to) =>
    to.job.dependsOn.flatMap((name) => {
      const from = placed.get(name);
      return from ? [{ from, to }] : [];
    }),
  );
  return { nodes, edges, cols: maxDepth + 1, rows };
}
