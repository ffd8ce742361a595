/**
 * A real OpenAI-compatible HTTP server for the teacher tests (run as its own process:
 * `node --import tsx packages/datasets/test/teacher-server.ts`; prints `PORT=<n>`).
 *
 * It answers from the solver, reading the state from the prompt text itself (the Sokoban grid
 * and vocabulary; the GP cards and rule), and misbehaves deterministically per prompt
 * (`policyOf`): some prompts get one HTTP 500 first, some are answered wrongly once, some always.
 *  POST /v1/completions       raw prompt → `choices[].text`                   (Sokoban)
 *  POST /v1/chat/completions  messages   → `choices[].message.content`       (General Points)
 *  GET  /stats  POST /reset (all state)  POST /reset-stats  POST /config {"delayMs": n}
 * Anything else is a 404 (a permanent error for the client).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gp, sokoban } from "../../envs/src/index.js";

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

const attempts = new Map<string, number>();
const served = new Map<string, number>();
let stats = { requests: 0, errors500: 0, perPrompt: {} as Record<string, number> };
let delayMs = 0;

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = "";
  for await (const c of req) s += c;
  return s ? (JSON.parse(s) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, obj: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(obj));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "";
  if (req.method === "GET" && url === "/stats") return send(res, 200, stats);
  if (req.method === "POST" && (url === "/reset" || url === "/reset-stats")) {
    stats = { requests: 0, errors500: 0, perPrompt: {} };
    if (url === "/reset") {
      attempts.clear();
      served.clear();
    }
    return send(res, 200, { ok: true });
  }
  if (req.method === "POST" && url === "/config") {
    delayMs = Number((await body(req)).delayMs ?? 0);
    return send(res, 200, { ok: true });
  }
  const chat = url === "/v1/chat/completions";
  if (req.method !== "POST" || (!chat && url !== "/v1/completions")) return send(res, 404, { error: { message: `no route ${url}` } });
  const b = await body(req);
  const prompt = chat ? String((b.messages as { content: string }[])[0]!.content) : String(b.prompt);
  const key = promptKey(prompt);
  stats.requests++;
  stats.perPrompt[key] = (stats.perPrompt[key] ?? 0) + 1;
  if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  const n = Number(b.n ?? 1);
  const a = attempts.get(key) ?? 0;
  attempts.set(key, a + 1);
  const p = policyOf(prompt);
  if (p.fail500 && a === 0) {
    stats.errors500++;
    return send(res, 500, { error: { message: "injected failure", type: "server_error" } }, { "retry-after": "0" });
  }
  const first = served.get(key) ?? 0;
  served.set(key, first + n);
  const texts = Array.from({ length: n }, (_, i) => {
    const right = p.rightFrom !== null && first + i >= p.rightFrom;
    return chat ? gpAnswer(prompt, right) : sokobanAnswer(prompt, right);
  });
  const choices = texts.map((t, index) =>
    chat
      ? { index, finish_reason: "stop", message: { role: "assistant", content: t } }
      : { index, finish_reason: "stop", text: t, logprobs: null },
  );
  send(res, 200, { id: `cmpl-${key}`, object: chat ? "chat.completion" : "text_completion", created: 0, model: String(b.model), choices });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 400, { error: { message: String(e) } }));
  });
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.stdout.write(`PORT=${typeof addr === "object" && addr ? addr.port : 0}\n`);
  });
}
