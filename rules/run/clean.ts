/**
 * `clean`: removes what barchan built, and its state, and nothing else.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { Engine, pathPresent } from "../../memo/mod.ts";
import { lockState } from "./lock.ts";
import { STATE_DIR } from "../state.ts";
import { findBuildFile } from "../project/build_file.ts";
import { isOutputPath, OutputLog, regularFileDigest } from "./outputs.ts";
import { recordedOutputs, withFetched } from "./recorded_outputs.ts";
import { RemoteOutputLog } from "./remote_outputs.ts";
import { isDirDigest, isRealDirectory } from "./dir_targets.ts";
// Defines the memo function whose values in the store are the rules' targets.
import "./nodes.ts";

/** Options of {@linkcode clean}. */
export interface CleanOptions {
  /**
   * Receives a line for each file left in place, and for damaged state.
   * @default nothing is said
   */
  note?: (message: string) => void;
}

/**
 * Removes every file barchan wrote in the project, and every directory
 * target's whole tree, then its state, then directories left empty by that. A file is removed only when its content is
 * what barchan recorded writing there (in the outputs log, or in the memo
 * store when the log is lost or damaged), and only when it is inside the
 * project: a path with `..`, an absolute one, or one reached through a
 * symbolic link to elsewhere is left alone, as is a file someone changed
 * since, or wrote where a killed build had only claimed the path. A build
 * in progress is waited for.
 *
 * @param root Where to look for build.ts (this directory or above).
 * @param options Where notes of files left in place go.
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
export async function clean(
  root: string = Deno.cwd(),
  options: CleanOptions = {},
): Promise<string[]> {
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
    removeOutputsAndState(projectRoot, stateDir, removed, options.note ?? (() => {}));
  } finally {
    lock.close();
  }
  return removed.sort();
}

function removeOutputsAndState(
  projectRoot: string,
  stateDir: string,
  removed: string[],
  note: (message: string) => void,
): void {
  const realRoot = Deno.realPathSync(projectRoot);
  const recorded = storeRecords(projectRoot, stateDir, note);
  const outputs = new OutputLog(stateDir, { root: projectRoot, recorded: () => recorded, note });
  const fromStore = new Map<string, Set<string>>();
  for (const [path, digest] of recorded) {
    let digests = fromStore.get(path);
    if (digests === undefined) fromStore.set(path, digests = new Set());
    digests.add(digest);
  }
  const dirs = new Set<string>();
  for (const path of outputs.paths()) {
    const abs = join(projectRoot, path);
    if (!isOutputPath(path) || !inside(realRoot, dirname(abs))) {
      note(`Kept ${path}: it is not inside the project`);
      continue;
    }
    const tree = isDirDigest(outputs.digest(path)) ||
      [...fromStore.get(path) ?? []].some(isDirDigest);
    const digest = tree ? undefined : regularFileDigest(abs);
    if (tree) {
      // A directory target: the whole tree is barchan's.
      if (isRealDirectory(abs)) {
        Deno.removeSync(abs, { recursive: true });
        removed.push(path);
      } else if (pathPresent(abs)) note(`Kept ${path}: it is not the directory barchan filled`);
    } else if (digest === undefined) {
      if (pathPresent(abs)) note(`Kept ${path}: it is not a file barchan wrote`);
    } else if (digest === outputs.digest(path) || fromStore.get(path)?.has(digest)) {
      Deno.removeSync(abs);
      removed.push(path);
    } else {
      note(`Kept ${path}: its content is not what barchan wrote there`);
    }
    for (let d = dirname(path); d !== "." && d !== "/"; d = dirname(d)) dirs.add(d);
  }
  if (inside(realRoot, stateDir) && Deno.lstatSync(stateDir).isDirectory) {
    Deno.removeSync(stateDir, { recursive: true });
  } else {
    note(`Kept ${STATE_DIR}: it leads outside the project; delete it yourself if it is barchan's`);
  }
  dirs.add(dirname(STATE_DIR));
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    const abs = join(projectRoot, dir);
    try {
      // Only a directory of the project's own, not a link to one elsewhere.
      if (Deno.lstatSync(abs).isDirectory && inside(realRoot, abs)) Deno.removeSync(abs);
    } catch {
      // Not empty, or gone: leave it.
    }
  }
}

/** What the memo store recorded of the outputs, read without locking or changing it. */
function storeRecords(
  root: string,
  stateDir: string,
  note: (message: string) => void,
): [string, string][] {
  const engine = new Engine({ dir: stateDir, root, readOnly: true, onWarning: note });
  try {
    // A file fetched from the remote executor is recorded by its remote digest.
    return withFetched(recordedOutputs(engine), new RemoteOutputLog(stateDir, { note }));
  } finally {
    engine.close();
  }
}

/** Whether a path's real location (its links followed) is inside the real project root. */
function inside(realRoot: string, path: string): boolean {
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch {
    return false;
  }
  return real === realRoot || real.startsWith(realRoot + "/");
}
