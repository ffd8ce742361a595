/**
 * Signalling a whole process group, and telling whether any live member is left.
 *
 * The trainer is spawned as a group leader (detached), so `kill(-pgid)` reaches every process it
 * started (data loader workers, a vLLM engine, `trainyard env batch`) unless one called setsid.
 * Linux keeps a pid out of reuse while it names a live group, so signalling -pgid cannot hit a
 * stranger's group.
 */
import { readdirSync, readFileSync } from "node:fs";

export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

/**
 * Whether the group has a member that is not a zombie. A zombie still counts for kill(-pgid, 0),
 * and an init that does not reap orphans would leave one there forever, so on Linux read /proc.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform !== "linux") return signalGroup(pgid, 0);
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so cut at the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

/** Whether one process is alive and not a zombie (tests use it to check a grandchild died). */
export function processAlive(pid: number): boolean {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
