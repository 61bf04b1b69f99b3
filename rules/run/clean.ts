/**
 * `clean`: removes what barchan built, and its state, and nothing else.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { lockState } from "./builder.ts";
import { STATE_DIR } from "../state.ts";
import { findBuildFile } from "../project/load.ts";
import { OutputLog } from "./outputs.ts";

/**
 * Removes every file barchan wrote in the project (as recorded in its
 * state), then the state itself, then directories left empty by that.
 * Files barchan did not write are never touched. A build in progress is
 * waited for.
 *
 * @param root Where to look for build.ts (this directory or above).
 * @returns The project-relative paths removed.
 *
 * @example Cleaning a project that was never built removes nothing
 * ```ts
 * import { clean } from "@barchan/barchan/rules";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/build.ts`, "");
 * assert.deepEqual(await clean(dir), []);
 * ```
 */
export async function clean(root: string = Deno.cwd()): Promise<string[]> {
  const projectRoot = dirname(findBuildFile(root));
  const stateDir = join(projectRoot, STATE_DIR);
  const removed: string[] = [];
  try {
    Deno.statSync(stateDir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return removed;
    throw error;
  }
  const lock = await lockState(stateDir, {});
  try {
    await removeOutputsAndState(projectRoot, stateDir, removed);
  } finally {
    lock.close();
  }
  return removed.sort();
}

async function removeOutputsAndState(
  projectRoot: string,
  stateDir: string,
  removed: string[],
): Promise<void> {
  const outputs = new OutputLog(stateDir);
  const dirs = new Set<string>();
  for (const path of outputs.paths()) {
    try {
      await Deno.remove(join(projectRoot, path));
      removed.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    for (let d = dirname(path); d !== "." && d !== "/"; d = dirname(d)) dirs.add(d);
  }
  await Deno.remove(stateDir, { recursive: true });
  dirs.add(dirname(STATE_DIR));
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      await Deno.remove(join(projectRoot, dir));
    } catch {
      // not empty, or gone: leave it
    }
  }
}
