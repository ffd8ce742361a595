/**
 * A built dataset: its manifest (files, rows, hashes, train/eval overlap) and its rows, paged by
 * file, with Sokoban boards and General Points cards drawn.
 */
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, download, qs } from "../api/client";
import type { Dataset, DatasetRows, Manifest, ManifestFile } from "../api/types";
import { ErrorNotice, Facts, Loading, PageTitle } from "../components/common";
import { BoardLegend, SokobanBoard } from "../components/SokobanBoard";
import { GpCards } from "../components/GpCards";
import { bytes, int, pct, short, when } from "../lib/format";
import { parseBoard } from "../lib/sokoban";
import { promptText } from "../lib/gp";

const PAGE = 8;

function completionText(c: unknown): string {
  return typeof c === "string" ? c : promptText(c);
}

function Row({ task, file, row, index }: { task: string; file: ManifestFile; row: Record<string, unknown>; index: number }) {
  const id = String(row.id ?? index);
  const inTrain = row.inTrain === true;
  let drawing = null;
  const facts: [string, string][] = [];
  if (task === "sokoban") {
    const board = Array.isArray(row.rows) ? parseBoard(row.rows as string[]) : null;
    drawing = board ? <SokobanBoard board={board} /> : <p className="muted">No board in this row.</p>;
    if (row.answer !== undefined) {
      facts.push(["Answer", `${String(row.answer)} (action ${String(row.answerId)})`]);
      facts.push(["State", `${Number(row.step) + 1} of a ${String(row.pathLength)}-move plan, level seed ${String(row.seed)}`]);
    } else {
      const plan = (row.optimal as string[] | undefined) ?? [];
      facts.push(["Plan", plan.length ? `${plan.join(", ")} (${plan.length} move${plan.length === 1 ? "" : "s"})` : "unsolvable"]);
      facts.push(["Seed", String(row.seed)]);
    }
    if (Array.isArray(row.labels)) facts.push(["Labels shown", (row.labels as string[]).join(" | ")]);
    if (Array.isArray(row.accepted)) facts.push(["Labels accepted", (row.accepted as string[]).join(" | ")]);
  } else {
    const cards = Array.isArray(row.cards) ? (row.cards as string[]) : [];
    drawing = (
      <GpCards cards={cards} rule={typeof row.rule === "string" ? row.rule : null} values={(row.values as number[] | undefined) ?? null} />
    );
    facts.push(["Solution", `${String(row.solution)} = 24`]);
    if (row.numSolutions !== undefined) facts.push(["Solutions", String(row.numSolutions)]);
    if (row.mapping) facts.push(["Mapping", String(row.mapping)]);
  }
  return (
    <li className="row-card" data-row={index}>
      <h3>
        Row {int(index)} <span className="muted small">{id}</span>
        {inTrain && <span className="badge warn">also in training data</span>}
      </h3>
      <div className="row-body">
        {drawing}
        <dl className="facts compact">
          {facts.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </div>
      {file.kind === "train" && row.completion !== undefined && (
        <details>
          <summary>Completion ({String(row.target ?? file.target ?? "")})</summary>
          <pre className="text" tabIndex={0}>
            {completionText(row.completion)}
          </pre>
        </details>
      )}
      <details>
        <summary>Prompt</summary>
        <pre className="text" tabIndex={0}>
          {promptText(row.prompt)}
        </pre>
      </details>
    </li>
  );
}

/** Overlap rows in the manifest's file order (the spec's split order), not the report's key order. */
function splitOrder<T>(manifest: Manifest, splits: Record<string, T>): [string, T][] {
  const order = manifest.files.filter((f) => f.kind === "eval").map((f) => f.name);
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return Object.entries(splits).sort(([a], [b]) => rank(a) - rank(b));
}

function Overlap({ manifest }: { manifest: Manifest }) {
  const o = manifest.overlap;
  if (!o) return null;
  return (
    <div className="table-wrap">
      <table className="list">
        <caption>
          Evaluation items whose state also occurs in the training data (policy: {o.policy}
          {o.policy === "remove"
            ? `; removed training rows: ${Object.entries(o.removed)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")}`
            : ""}
          )
        </caption>
        <thead>
          <tr>
            <th scope="col">Split</th>
            <th scope="col">Items</th>
            <th scope="col">In training data</th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {splitOrder(manifest, o.splits).map(([split, s]) => (
            <tr key={split} className={s.inTrain ? "leak" : undefined}>
              <th scope="row">{split}</th>
              <td>{s.items}</td>
              <td>{s.inTrain}</td>
              <td>{pct(s.items ? s.inTrain / s.items : 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DatasetPage() {
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const ds = useQuery({
    queryKey: ["dataset", id],
    queryFn: ({ signal }) => api<Dataset>(`/v1/datasets/${encodeURIComponent(id)}`, { signal }),
  });
  const files = ds.data?.manifest.files ?? [];
  const ordered = [...files.filter((f) => f.kind === "eval"), ...files.filter((f) => f.kind === "train")];
  const file = files.find((f) => f.path === params.get("file")) ?? ordered[0];
  const [stack, setStack] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string>("");
  const rows = useQuery({
    queryKey: ["dataset-rows", id, file?.path, cursor],
    queryFn: ({ signal }) => api<DatasetRows>(`/v1/datasets/${id}/rows${qs({ file: file!.path, limit: PAGE, cursor })}`, { signal }),
    enabled: !!file,
    placeholderData: keepPreviousData,
  });

  if (ds.isPending) return <Loading what="the dataset" />;
  if (ds.error || !ds.data) {
    return (
      <>
        <PageTitle title="Dataset">Dataset</PageTitle>
        <ErrorNotice error={ds.error} what="this dataset" />
      </>
    );
  }
  const d = ds.data;
  const m = d.manifest;
  const choose = (path: string) => {
    setParams({ file: path }, { replace: true });
    setCursor("");
    setStack([]);
  };

  return (
    <>
      <PageTitle
        title={`Dataset ${short(d.specHash, 8)}`}
        sub={
          <>
            {m.task} · {m.env} · {m.template} template · scoring {m.scoring}
            {d.experimentId && (
              <>
                {" "}
                · built for <Link to={`/experiments/${d.experimentId}`}>its experiment</Link>
              </>
            )}
          </>
        }
      >
        Dataset <code>{short(d.specHash, 12)}</code>
      </PageTitle>
      <Facts
        items={[
          ["Spec hash", <code key="h">{d.specHash}</code>],
          ["Built with", m.builtWith],
          ["Built", when(d.createdAt)],
          ["Location", <code key="u">{d.uri}</code>],
          ["Rows", int(files.reduce((n, f) => n + f.rows, 0))],
        ]}
      />
      {m.notes && m.notes.length > 0 && (
        <ul className="notes">
          {m.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}

      <section aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        <div className="table-wrap">
          <table className="list responsive">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Kind</th>
                <th scope="col">Rows</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">
                  <span className="sr-only">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.path} aria-current={f.path === file?.path ? "true" : undefined}>
                  <td data-label="File">
                    <button type="button" className="link-button" onClick={() => choose(f.path)}>
                      {f.path}
                    </button>
                  </td>
                  <td data-label="Kind">
                    {f.kind}
                    {f.producer ? ` · ${f.producer}` : ""}
                  </td>
                  <td data-label="Rows">{int(f.rows)}</td>
                  <td data-label="Size">{bytes(f.bytes)}</td>
                  <td data-label="SHA-256">
                    <code title={f.sha256}>{short(f.sha256)}</code>
                  </td>
                  <td data-label="Download">
                    <button
                      type="button"
                      className="small"
                      onClick={() => void download(`/v1/datasets/${id}/files/${f.path}`, f.path.replace("/", "-"))}
                    >
                      Download <span className="sr-only">{f.path}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="overlap-title">
        <h2 id="overlap-title">Overlap with training data</h2>
        <Overlap manifest={m} />
      </section>

      <section aria-labelledby="rows-title">
        <h2 id="rows-title">Rows</h2>
        <div className="row">
          <div className="field">
            <label htmlFor="rows-file">File</label>
            <select id="rows-file" value={file?.path ?? ""} onChange={(e) => choose(e.target.value)}>
              {ordered.map((f) => (
                <option key={f.path} value={f.path}>
                  {f.kind === "eval" ? `eval split ${f.name}` : `train ${f.name}`} ({int(f.rows)} rows)
                </option>
              ))}
            </select>
          </div>
          {m.task === "sokoban" && <BoardLegend />}
        </div>
        <ErrorNotice error={rows.error} what="rows" />
        {rows.data && file && (
          <>
            <p className="muted small" aria-live="polite">
              Rows {int(rows.data.offset)}–{int(rows.data.offset + rows.data.rows.length - 1)} of {int(rows.data.total)} in {rows.data.file}
            </p>
            <ol className="rows" data-file={rows.data.file}>
              {rows.data.rows.map((r, i) => (
                <Row key={`${rows.data.file}-${rows.data.offset + i}`} task={m.task} file={file} row={r} index={rows.data.offset + i} />
              ))}
            </ol>
            <nav className="pager" aria-label="Row pages">
              <button
                type="button"
                disabled={!stack.length}
                onClick={() => {
                  setCursor(stack[stack.length - 1] ?? "");
                  setStack(stack.slice(0, -1));
                }}
              >
                ← Previous rows
              </button>
              <button
                type="button"
                disabled={!rows.data.nextCursor}
                onClick={() => {
                  setStack([...stack, cursor]);
                  setCursor(rows.data.nextCursor ?? "");
                }}
              >
                Next rows →
              </button>
            </nav>
          </>
        )}
      </section>
    </>
  );
}
