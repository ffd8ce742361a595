/**
 * The teacher tests' model: the shared fake OpenAI-compatible server (packages/outbound's
 * `startFakeModelServer`, a real HTTP server) answering from the solver, reading the state from
 * the prompt text itself (the Sokoban grid and vocabulary; the GP cards and rule), and
 * misbehaving deterministically per prompt (`policyOf`): some prompts get one HTTP 500 first,
 * some are answered wrongly once, some always. A request's `n` samples come back as n choices.
 * Any path but `/v1/completions` and `/v1/chat/completions` is a 404 (a permanent error).
 */
import { createHash } from "node:crypto";
import { gp, sokoban } from "../../envs/src/index.js";
import { startFakeModelServer, type FakeAnswer, type FakeCall } from "../../outbound/src/index.js";

export interface Policy {
  /** The first request for this prompt is answered with HTTP 500 (retry-after: 0). */
  fail500: boolean;
  /** Index of the first correct sample; null = never correct. */
  rightFrom: number | null;
}

export const promptKey = (prompt: string): string => createHash("sha256").update(prompt).digest("hex").slice(0, 16);

export function policyOf(prompt: string): Policy {
  const h = parseInt(promptKey(prompt).slice(0, 8), 16);
  const mode = h % 5;
  return { fail500: h % 4 === 0, rightFrom: mode === 1 ? null : mode === 2 ? 1 : 0 };
}

/** Samples a client with k samples per prompt draws, and whether it accepts one. */
export function expected(prompt: string, k: number): { accepted: boolean; samples: number } {
  const p = policyOf(prompt);
  if (p.rightFrom === null || p.rightFrom >= k) return { accepted: false, samples: k };
  return { accepted: true, samples: p.rightFrom + 1 };
}

function sokobanAnswer(prompt: string, right: boolean): string {
  const obs = prompt.split("[Current Observation]:\n")[1]!.split("\nDecide the next action:")[0]!;
  const rows = obs.split("\n").map((line) =>
    line
      .split("\t")
      .filter((c) => c.trim() !== "")
      .map((c) => c.trim())
      .join(""),
  );
  const plan = sokoban.solve(sokoban.parseRows(rows));
  const mapping = sokoban.promptActionMapping(prompt)!;
  const want = plan[0] ?? 1;
  const id = right ? want : (want % 4) + 1;
  const label = [...mapping.entries()].find(([, v]) => v === id)?.[0] ?? "Up";
  return `\nThe solver plans ${plan.map(sokoban.actionName).join(", ")}. </think> <answer> ${label} </answer>`;
}

function gpAnswer(prompt: string, right: boolean): string {
  const cards = [...prompt.match(/Cards: \[([^\]]*)\]/)![1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
  const one = /'J', 'Q', and 'K' (?:all )?count as '(\d+)'/.exec(prompt);
  const three = /'J' counts as '(\d+)', 'Q' counts as '(\d+)', and 'K' counts as '(\d+)'/.exec(prompt);
  const face = one ? { J: +one[1]!, Q: +one[1]!, K: +one[1]! } : { J: +three![1]!, Q: +three![2]!, K: +three![3]! };
  const values = cards.map((c) => (c === "A" ? 1 : c === "J" ? face.J : c === "Q" ? face.Q : c === "K" ? face.K : Number(c)));
  const sols = gp.allSolutions(gp.handFor(values));
  const safe = sols.find((s) => gp.scoreFormula(s, values).reward === 5) ?? sols[0] ?? values.join("+");
  const formula = right ? safe : `1+${values.join("+")}`;
  return `<think>The values are ${values.join(", ")}.</think>\n\n${gp.renderAnswer(cards, values, formula)}`;
}

export interface TeacherServerStats {
  requests: number;
  errors500: number;
  /** Completion requests per prompt key. */
  perPrompt: Record<string, number>;
}

export interface TeacherServer {
  /** Base URL without `/v1`. */
  base: string;
  readonly stats: TeacherServerStats;
  /** Forget every prompt (attempts, samples served) and the stats. */
  reset(): void;
  resetStats(): void;
  /** Extra delay per completion request, ms. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startTeacherServer(): Promise<TeacherServer> {
  const attempts = new Map<string, number>();
  const served = new Map<string, number>();
  let stats: TeacherServerStats = { requests: 0, errors500: 0, perPrompt: {} };
  const answer = (call: FakeCall): FakeAnswer => {
    const chat = call.endpoint === "chat";
    const key = promptKey(call.prompt);
    stats.requests++;
    stats.perPrompt[key] = (stats.perPrompt[key] ?? 0) + 1;
    const n = Number(call.body.n ?? 1);
    const a = attempts.get(key) ?? 0;
    attempts.set(key, a + 1);
    const p = policyOf(call.prompt);
    const delayMs = t.delayMs;
    if (p.fail500 && a === 0) {
      stats.errors500++;
      return { status: 500, headers: { "retry-after": "0" }, delayMs };
    }
    const first = served.get(key) ?? 0;
    served.set(key, first + n);
    const texts = Array.from({ length: n }, (_, i) => {
      const right = p.rightFrom !== null && first + i >= p.rightFrom;
      return chat ? gpAnswer(call.prompt, right) : sokobanAnswer(call.prompt, right);
    });
    return { texts, delayMs };
  };
  const server = await startFakeModelServer({ answer, record: false });
  const t: TeacherServer = {
    base: server.url.replace(/\/v1$/, ""),
    get stats() {
      return stats;
    },
    reset() {
      attempts.clear();
      served.clear();
      stats = { requests: 0, errors500: 0, perPrompt: {} };
    },
    resetStats() {
      stats = { requests: 0, errors500: 0, perPrompt: {} };
    },
    delayMs: 0,
    close: () => server.close(),
  };
  return t;
}
