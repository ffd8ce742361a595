/**
 * Evaluation items of an experiment: pick arm, seed, checkpoint and split, filter by outcome,
 * and open an episode to see each turn: the board the model saw (Sokoban) or its cards (General
 * Points), the raw answer, the parsed action and why it failed.
 */
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, qs } from "../api/client";
import { useExperiment } from "../api/queries";
import type { EvalItem, EvalResult, Turn } from "../api/types";
import { ErrorNotice, Loading, PageTitle } from "../components/common";
import { SokobanBoard, BoardLegend } from "../components/SokobanBoard";
import { GpCards } from "../components/GpCards";
import { num, pct } from "../lib/format";
import { boardFromPrompt } from "../lib/sokoban";
import { cardsFromPrompt, ruleFromPrompt } from "../lib/gp";

const PAGE = 20;

function TurnView({ turn, index, task }: { turn: Turn; index: number; task: string }) {
  const board = task === "sokoban" ? boardFromPrompt(turn.prompt) : null;
  const cards = task === "general-points" ? cardsFromPrompt(turn.prompt) : null;
  return (
    <li className={`turn${turn.valid ? "" : " invalid"}`} data-turn={index}>
      <div className="turn-head">
        <strong>Turn {index + 1}</strong>
        <span>
          parsed action: <code>{turn.action ?? "none"}</code>
        </span>
        <span>{turn.valid ? "valid" : "invalid"}</span>
        <span>reward {num(turn.reward, 2)}</span>
        {turn.reason && <span className="badge fail">{turn.reason}</span>}
      </div>
      <div className="turn-body">
        {board && <SokobanBoard board={board} caption={`Board before turn ${index + 1}`} />}
        {cards && <GpCards cards={cards} rule={ruleFromPrompt(turn.prompt)} />}
        <div className="answer">
          <span className="label">Raw answer</span>
          <pre className="text" tabIndex={0}>
            {turn.completion || "(empty)"}
          </pre>
          <span className="muted small">
            {turn.completionTokens ?? "?"} tokens · {turn.finishReason ?? "?"} · {turn.latencyMs} ms
          </span>
        </div>
      </div>
      {!board && !cards && (
        <details>
          <summary>Prompt</summary>
          <pre className="text" tabIndex={0}>
            {turn.prompt}
          </pre>
        </details>
      )}
    </li>
  );
}

function ItemView({ item, task }: { item: EvalItem; task: string }) {
  const turns = Array.isArray(item.turns) ? item.turns : [];
  return (
    <li className="item" data-item={item.itemIndex} data-success={item.success}>
      <details>
        <summary>
          <span className={`outcome ${item.success ? "ok" : "fail"}`}>{item.success ? "✓ solved" : `✗ ${item.reason ?? "failed"}`}</span>
          <span>item {item.itemIndex}</span>
          <span className="muted">{task === "sokoban" ? `level seed ${item.itemKey}` : `task ${item.itemKey}`}</span>
          <span className="muted">
            {turns.length} turn{turns.length === 1 ? "" : "s"} · reward {num(item.reward, 2)}
          </span>
        </summary>
        <ol className={`turns${task === "sokoban" ? " strip" : ""}`}>
          {turns.map((t, i) => (
            <TurnView key={i} turn={t} index={i} task={task} />
          ))}
        </ol>
      </details>
    </li>
  );
}

export function EvalItemsPage() {
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const exp = useExperiment(id);
  const evals = useQuery({
    queryKey: ["evals", id],
    queryFn: ({ signal }) => api<{ items: EvalResult[] }>(`/v1/experiments/${id}/evals`, { signal }),
  });
  const all = evals.data?.items ?? [];
  const chosen = all.find((r) => r.id === params.get("eval")) ?? all[all.length - 1];
  const outcome = params.get("outcome") ?? "all";
  const [stack, setStack] = useState<number[]>([]);
  const [after, setAfter] = useState(-1);
  const items = useQuery({
    queryKey: ["eval-items", chosen?.id, outcome, after],
    queryFn: ({ signal }) =>
      api<{ items: EvalItem[]; nextAfter: number | null }>(
        `/v1/evals/${chosen!.id}/items${qs({ limit: PAGE, after, success: outcome === "all" ? undefined : outcome === "success" })}`,
        { signal },
      ),
    enabled: !!chosen,
    placeholderData: keepPreviousData,
  });

  if (evals.isPending || exp.isPending) return <Loading what="evaluations" />;
  const task = exp.data?.task ?? "sokoban";
  const pick = (next: Partial<Pick<EvalResult, "arm" | "seed" | "step" | "split">>) => {
    const want = { arm: chosen?.arm, seed: chosen?.seed, step: chosen?.step, split: chosen?.split, ...next };
    // Keep what still matches; fall back field by field so every choice lands on an evaluation.
    const match =
      all.find((r) => r.arm === want.arm && r.seed === want.seed && r.step === want.step && r.split === want.split) ??
      all.find((r) => r.arm === want.arm && r.seed === want.seed && r.split === want.split) ??
      all.find((r) => r.arm === want.arm && r.seed === want.seed) ??
      all.find((r) => r.arm === want.arm);
    if (match) setParams({ eval: match.id, outcome }, { replace: true });
    setAfter(-1);
    setStack([]);
  };
  const setOutcome = (o: string) => {
    setParams({ ...(chosen ? { eval: chosen.id } : {}), outcome: o }, { replace: true });
    setAfter(-1);
    setStack([]);
  };
  const uniq = <T,>(xs: T[]) => [...new Set(xs)];
  const arms = uniq(all.map((r) => r.arm));
  const seeds = uniq(all.filter((r) => r.arm === chosen?.arm).map((r) => r.seed));
  const steps = uniq(all.filter((r) => r.arm === chosen?.arm && r.seed === chosen?.seed).map((r) => r.step)).sort((a, b) => a - b);
  const splits = uniq(all.filter((r) => r.arm === chosen?.arm && r.seed === chosen?.seed && r.step === chosen?.step).map((r) => r.split));

  return (
    <>
      <PageTitle
        title={`Evaluation items · ${exp.data?.name ?? id}`}
        sub={
          <>
            Episodes of <Link to={`/experiments/${id}`}>{exp.data?.name ?? "the experiment"}</Link>
          </>
        }
      >
        Evaluation items
      </PageTitle>
      <ErrorNotice error={evals.error ?? exp.error} what="evaluations" />
      {!all.length ? (
        <p className="empty">No evaluations yet.</p>
      ) : (
        <>
          <form className="filters" aria-label="Choose an evaluation" onSubmit={(e) => e.preventDefault()}>
            <div className="field">
              <label htmlFor="pick-arm">Arm</label>
              <select id="pick-arm" value={chosen?.arm} onChange={(e) => pick({ arm: e.target.value })}>
                {arms.map((a) => (
                  <option key={a}>{a}</option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="pick-seed">Seed</label>
              <select id="pick-seed" value={chosen?.seed} onChange={(e) => pick({ seed: Number(e.target.value) })}>
                {seeds.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="pick-step">Checkpoint step</label>
              <select id="pick-step" value={chosen?.step} onChange={(e) => pick({ step: Number(e.target.value) })}>
                {steps.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="pick-split">Split</label>
              <select id="pick-split" value={chosen?.split} onChange={(e) => pick({ split: e.target.value })}>
                {splits.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </div>
            <fieldset className="radio-row">
              <legend>Outcome</legend>
              {["all", "success", "failure"].map((o) => (
                <label key={o}>
                  <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} /> {o}
                </label>
              ))}
            </fieldset>
          </form>
          {chosen && (
            <p className="muted">
              {chosen.arm}, seed {chosen.seed}, step {chosen.step}, split {chosen.split}: {pct(chosen.success)} solved of {chosen.n},
              validity {pct(chosen.validity)}, mean reward {num(chosen.meanReward, 2)}.
            </p>
          )}
          {task === "sokoban" && <BoardLegend />}
          <ErrorNotice error={items.error} what="items" />
          {items.data && (
            <>
              {items.data.items.length === 0 && <p className="empty">No {outcome === "all" ? "" : `${outcome} `}items.</p>}
              <ul className="items">
                {items.data.items.map((it) => (
                  <ItemView key={it.id} item={it} task={task} />
                ))}
              </ul>
              <nav className="pager" aria-label="Item pages">
                <button
                  type="button"
                  disabled={!stack.length}
                  onClick={() => {
                    setAfter(stack[stack.length - 1] ?? -1);
                    setStack(stack.slice(0, -1));
                  }}
                >
                  ← Previous items
                </button>
                <button
                  type="button"
                  disabled={items.data.nextAfter === null}
                  onClick={() => {
                    setStack([...stack, after]);
                    setAfter(items.data.nextAfter ?? -1);
                  }}
                >
                  Next items →
                </button>
              </nav>
            </>
          )}
        </>
      )}
    </>
  );
}
