/**
 * Following one pod's trainer log to its end, without dropping or repeating lines.
 *
 * A followed pod log can end early (API server or kubelet timeouts, a proxy) while the container
 * still runs, and a broken connection may never end at all (the Log helper pipes the body and
 * drops its errors). So logs are read with `timestamps=true`, the pod is polled alongside, and a
 * stream that ended early, or hangs after the container stopped, is re-opened from `sinceTime`
 * (whole seconds), skipping what was already delivered. A cut line is dropped on reconnect,
 * since the replay sends it whole.
 *
 * Hazards: pod logs interleave stdout and stderr (every line is reported as stdout); a line the
 * runtime splits (over 16 KiB) carries the timestamps of its later parts inside it.
 */
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { CoreV1Api, Log, V1Pod } from "@kubernetes/client-node";
import { apiError, httpStatus } from "./errors.js";
import { TRAINER_CONTAINER, trainerTerminated } from "./kubernetes-job.js";
import { LineSplitter } from "./lines.js";

interface Stamp {
  sec: number;
  nano: number;
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

export function parseStamp(s: string): Stamp | null {
  const m = TS.exec(s);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  return { sec: ms / 1000, nano: Number((m[2] ?? "").padEnd(9, "0")) };
}

const cmp = (a: Stamp, b: Stamp) => (a.sec !== b.sec ? a.sec - b.sec : a.nano - b.nano);

/** Strips kubelet timestamps and skips, after a reconnect, the lines delivered before it. */
export class LogResumeCursor {
  private last: Stamp | null = null;
  private countAtLast = 0;
  private replaying = false;
  private skipAtLast = 0;

  /** The line without its timestamp, or null when it is a replay of a delivered line. */
  accept(raw: string): string | null {
    const sp = raw.indexOf(" ");
    const stamp = sp > 0 ? parseStamp(raw.slice(0, sp)) : null;
    if (!stamp) return raw; // no timestamp: nothing to compare, deliver
    const text = raw.slice(sp + 1);
    const c = this.last ? cmp(stamp, this.last) : 1;
    if (this.replaying) {
      if (c < 0) return null;
      if (c === 0 && this.skipAtLast > 0) {
        this.skipAtLast--;
        return null;
      }
      this.replaying = false;
    }
    // Outside a replay every line is delivered, even one stamped earlier than its predecessor
    // (the runtime stamps stdout and stderr on separate threads).
    if (c > 0) {
      this.last = stamp;
      this.countAtLast = 1;
    } else if (c === 0) {
      this.countAtLast++;
    }
    return text;
  }

  /** Start a replay; returns the `sinceTime` to ask for (whole seconds, at or before the last line). */
  rewind(): string | undefined {
    if (!this.last) return undefined;
    this.replaying = true;
    this.skipAtLast = this.countAtLast;
    return new Date(Math.floor(this.last.sec) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
}

export interface FollowDeps {
  core: CoreV1Api;
  log: Log;
  namespace: string;
  pollMs: number;
  /** How long a stream may stay open after the container terminated before it is re-opened. */
  settleMs: number;
  emit(line: string): void;
}

/** Follow a pod's trainer log until the container has terminated and every line is read. */
export async function followPodLog(deps: FollowDeps, podName: string): Promise<V1Pod | null> {
  const cursor = new LogResumeCursor();
  const splitter = new LineSplitter((raw) => {
    const line = cursor.accept(raw);
    if (line !== null) deps.emit(line);
  });
  let sinceTime: string | undefined;
  let lastPod: V1Pod | null = null;
  let failures = 0;
  let generations = 0;
  for (;;) {
    let ended = false;
    // Bytes still in flight from an aborted stream must not reach the splitter after a rewind.
    const generation = ++generations;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (generation === generations) splitter.push(chunk);
        cb();
      },
    });
    const finished = new Promise<void>((resolve) => sink.once("finish", () => ((ended = true), resolve())));
    let controller: AbortController;
    try {
      controller = await deps.log.log(deps.namespace, podName, TRAINER_CONTAINER, sink, {
        follow: true,
        timestamps: true,
        ...(sinceTime ? { sinceTime } : {}),
      });
    } catch (e) {
      const pod = await readPod(deps, podName);
      if (!pod) return lastPod; // the pod is gone: nothing more to read
      lastPod = pod;
      // 400 while the container is being created; anything else (403: no pods/log RBAC) persists.
      if (++failures > 20) throw apiError(`kubernetes: read log of pod ${podName}`, e);
      await sleep(deps.pollMs);
      continue;
    }
    failures = 0;

    // Watch the pod while the stream runs: it must end soon after the container terminated.
    let terminatedAt: number | null = null;
    let gone = false;
    while (!ended) {
      await Promise.race([finished, sleep(deps.pollMs)]);
      if (ended) break;
      const pod = await readPod(deps, podName);
      if (!pod) {
        gone = true;
        break;
      }
      lastPod = pod;
      if (trainerTerminated(pod) && pod.status?.phase !== "Running") terminatedAt ??= Date.now();
      if (terminatedAt !== null && Date.now() - terminatedAt > deps.settleMs) break;
    }
    if (!ended) controller.abort();

    const pod: V1Pod | null = ended ? await readPod(deps, podName) : gone ? null : lastPod;
    if (pod) lastPod = pod;
    const over = !pod || Boolean(trainerTerminated(pod) && pod.status?.phase !== "Running");
    if (ended && over) {
      splitter.end();
      return lastPod;
    }
    if (gone) {
      splitter.end(); // the pod vanished mid-stream: what we have is all there will be
      return lastPod;
    }
    // Ended early while the container runs, or hung after it stopped: read again from the cursor.
    splitter.discard();
    sinceTime = cursor.rewind();
    await sleep(Math.min(deps.pollMs, 250));
  }
}

async function readPod(deps: FollowDeps, name: string): Promise<V1Pod | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.core.readNamespacedPod({ name, namespace: deps.namespace });
    } catch (e) {
      if (httpStatus(e) === 404) return null;
      if (attempt >= 5) throw e;
      await sleep(deps.pollMs * 2 ** attempt);
    }
  }
}
