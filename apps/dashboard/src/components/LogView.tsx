/**
 * A job's log, live: follow (keep the newest line in view), pause (freeze what is shown while
 * lines keep arriving), and search (only matching lines, the match highlighted).
 */
import { Fragment, useEffect, useId, useLayoutEffect, useRef, useState } from "react";

export interface LogLine {
  seq: number;
  at: string;
  level: string;
  text: string;
}

function highlight(text: string, q: string) {
  if (!q) return text;
  const parts: (string | { m: string })[] = [];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let i = 0;
  for (;;) {
    const j = lower.indexOf(needle, i);
    if (j < 0) break;
    if (j > i) parts.push(text.slice(i, j));
    parts.push({ m: text.slice(j, j + needle.length) });
    i = j + needle.length;
  }
  parts.push(text.slice(i));
  return parts.map((p, k) => (typeof p === "string" ? <Fragment key={k}>{p}</Fragment> : <mark key={k}>{p.m}</mark>));
}

export function LogView({ lines, dropped }: { lines: LogLine[]; dropped: number }) {
  const [follow, setFollow] = useState(true);
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const [query, setQuery] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const searchId = useId();
  const followId = useId();

  const visible = pausedAt === null ? lines : lines.filter((l) => l.seq <= pausedAt);
  const shown = query ? visible.filter((l) => l.text.toLowerCase().includes(query.toLowerCase())) : visible;
  const waiting = lines.length - visible.length;

  useLayoutEffect(() => {
    if (follow && pausedAt === null && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown.length, follow, pausedAt]);
  // Scrolling up by hand stops following; back at the bottom, following resumes.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  return (
    <div className="logview">
      <div className="log-toolbar">
        <div className="field inline">
          <label htmlFor={searchId}>Search log</label>
          <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <div className="field checkbox">
          <input id={followId} type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          <label htmlFor={followId}>Follow</label>
        </div>
        <button
          type="button"
          aria-pressed={pausedAt !== null}
          onClick={() => setPausedAt(pausedAt === null ? (lines[lines.length - 1]?.seq ?? 0) : null)}
        >
          {pausedAt === null ? "Pause" : "Resume"}
        </button>
        <span className="muted small" aria-live="polite">
          {pausedAt !== null && waiting > 0 ? `${waiting} new line${waiting === 1 ? "" : "s"} while paused` : ""}
          {query ? ` ${shown.length} of ${visible.length} lines match` : ""}
        </span>
      </div>
      <div ref={box} className="log" tabIndex={0} role="region" aria-label="Job log" data-lines={shown.length}>
        {dropped > 0 && <div className="log-note">{dropped} older lines are not shown (trainyard logs JOB prints them all).</div>}
        {shown.map((l) => (
          <div key={l.seq} className={`line level-${l.level}`} data-seq={l.seq}>
            <span className="ts">{l.at.slice(11, 19)}</span>
            <span className="lvl">{l.level}</span>
            <span className="msg">{highlight(l.text, query)}</span>
          </div>
        ))}
        {!shown.length && <div className="log-note">{query ? "No line matches." : "No log lines yet."}</div>}
      </div>
    </div>
  );
}
