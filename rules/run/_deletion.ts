// Waiting out a deletion of the state directory (`rm -rf _build`) before
// making it again: made while `rm` still runs, the new directory would fail
// that `rm` ("Directory not empty").

import { dirname } from "node:path";
import { pathPresent } from "../../memo/mod.ts";

/** How long the parent must stay unchanged, in milliseconds, to count as settled. */
const QUIET_MS = 1000;
/** The longest wait, in milliseconds; past it nothing is made. */
const MAX_MS = 5000;
/** How often to look, in milliseconds. */
const STEP_MS = 100;

/**
 * Waits until a deleted state directory's deletion is over: its parent gone
 * too (`rm -rf _build`), or the parent unchanged for a second (`rm -rf
 * _build/.barchan`), at most five seconds.
 * @param stateDir The state directory that was deleted.
 * @returns True when it is safe to make the state directory again: the
 * deletion is over and nothing made it again meanwhile.
 */
export async function deletionSettled(stateDir: string): Promise<boolean> {
  const parent = dirname(stateDir);
  let last = "";
  let quietSince = performance.now();
  for (const start = performance.now(); performance.now() - start < MAX_MS;) {
    if (pathPresent(stateDir)) return false;
    const state = parentState(parent);
    if (state === undefined) return true;
    if (state !== last) {
      last = state;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= QUIET_MS) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
  return false;
}

/** The parent's modification time and entry count, undefined when it is gone. */
function parentState(path: string): string | undefined {
  try {
    const info = Deno.statSync(path);
    let entries = 0;
    for (const _ of Deno.readDirSync(path)) entries++;
    return `${info.mtime?.getTime()}:${entries}`;
  } catch {
    return undefined;
  }
}
