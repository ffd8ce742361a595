/**
 * The bench's model server, run as its own process so it never shares the client's event loop:
 * `npx tsx bench/eval/server.ts <latencyMs> <capacity>` prints `{"url": ...}` on stdout once it
 * listens, then answers every completion with a fixed GP-style answer (the size of a short CoT
 * reply, as in docs/performance-reference.md#eval-client-overhead) after `latencyMs`, at most `capacity` at a time.
 * It prints `{"requests": N, "cpuMs": ...}` and exits when stdin closes.
 */
import { startFakeModelServer } from "../../packages/outbound/src/testing/fake-server.js";

const latencyMs = Number(process.argv[2] ?? 20);
const capacity = Number(process.argv[3] ?? 64);
const ANSWER =
  "<think>\nThe cards are 2, 7, Q and 2; Q counts as 10. 10 / 2 = 5, 5 + 7 = 12, 12 * 2 = 24.\n" +
  "Every card is used once, so this is a valid formula.\n".repeat(12) +
  '</think>\n{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(10/2+7)*2"\n}';

const server = await startFakeModelServer({
  answer: () => ANSWER,
  latencyMs,
  capacity: capacity > 0 ? capacity : Infinity,
  record: false,
});
process.stdout.write(JSON.stringify({ url: server.url }) + "\n");
process.stdin.resume();
process.stdin.on("end", async () => {
  const u = process.cpuUsage();
  process.stdout.write(JSON.stringify({ requests: server.requests, cpuMs: (u.user + u.system) / 1000 }) + "\n");
  await server.close();
  process.exit(0);
});
