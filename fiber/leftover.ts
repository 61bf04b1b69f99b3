/**
 * Processes an earlier process left running: a build killed with SIGKILL
 * cannot stop the commands it started, and they go on writing their
 * targets. The next one stops them, knowing each by its pid and its start
 * time (which tells it from a later process given the same pid), with what
 * it started (found in /proc, as `_process_tree.ts` does for a cancelled
 * command). Linux only: elsewhere no start time is known, and nothing is
 * stopped.
 *
 * @module
 */
import { ProcessTree } from "./_process_tree.ts";

/** How often a stopped process is looked for while it has time to exit. */
const POLL_MS = 20;

/**
 * The start time of a running process, as field 22 of `/proc/PID/stat`
 * gives it (clock ticks since boot): with the pid, it names the process
 * for as long as the machine runs.
 * @param pid The process id.
 * @returns The start time, or undefined when no such process runs (one that
 * exited and was not reaped yet counts as gone), or it cannot be known.
 *
 * @example This process
 * ```ts
 * import { processStartTime } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * if (Deno.build.os === "linux") {
 *   assert.match(processStartTime(Deno.pid) ?? "", /^\d+$/);
 * }
 * ```
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return fields[19];
}

/**
 * Stops a process left running, with what it started, if it is still the
 * one that started at `startTime`: SIGTERM, then SIGKILL to what is left
 * after `graceMs`.
 * @param pid The process id, as recorded.
 * @param startTime Its start time, as {@linkcode processStartTime} gave it then.
 * @param graceMs How long it has to exit after SIGTERM.
 * @returns True when it was running and was stopped, false when it was gone.
 *
 * @example A process that is gone is left alone
 * ```ts
 * import { stopLeftover } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await stopLeftover(Deno.pid, "not its start time"), false);
 * ```
 */
export async function stopLeftover(
  pid: number,
  startTime: string,
  graceMs = 500,
): Promise<boolean> {
  const alive = () => processStartTime(pid) === startTime;
  if (!alive()) return false;
  const tree = new ProcessTree(pid);
  tree.signal("SIGTERM", true);
  for (let waited = 0; waited < graceMs && alive(); waited += POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // What it started may outlive it: the tree remembers them, by start time too.
  tree.signal("SIGKILL", alive());
  return true;
}
