/**
 * The project's build lock: one build (or clean, or watch session) at a
 * time per project. On the CLI's path to a build with nothing to do, so it
 * imports little.
 *
 * @module
 */
import { CancelledError } from "../../fiber/cancel.ts";
import { joinPath as join } from "../../memo/stat/paths.ts";
import type { Reporter } from "../report/reporter.ts";
import { BUILD_LOCK, RUNNING_LOG } from "../state.ts";
import { pathPresent } from "../../memo/stat/stat.ts";

/** How often a busy build lock is tried again, in milliseconds. */
const LOCK_RETRY_MS = 20;

/**
 * Takes the project's build lock, waiting for a build or clean that holds it.
 * `clean` deletes the state, lock file included, while holding the lock; a
 * lock then granted on the deleted file guards nothing, so it is taken again.
 * Once it holds the lock, the commands a build that did not end left running
 * are stopped (running_log.ts).
 * @param stateDir The state directory.
 * @param reporter Told when the lock is busy.
 * @param signal Stops waiting: the wait then throws a {@linkcode CancelledError}.
 * @returns The locked file; closing it releases the lock.
 */
export async function lockState(
  stateDir: string,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<Deno.FsFile> {
  let told = false;
  for (;;) {
    Deno.mkdirSync(stateDir, { recursive: true });
    const path = join(stateDir, BUILD_LOCK);
    const lock = await Deno.open(path, { create: true, write: true });
    while (!(await lock.tryLock(true))) {
      if (!told) {
        reporter.note?.(`Waiting for another build of this project to finish (${stateDir})`);
      }
      told = true;
      if (signal?.aborted) {
        lock.close();
        throw new CancelledError(signal.reason);
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
    if (isSameFile(lock, path)) return await withoutLeftovers(lock, stateDir, reporter);
    lock.close();
  }
}

/** Stops the commands a killed build left running, once `lock` is held; closes it on failure. */
async function withoutLeftovers(
  lock: Deno.FsFile,
  stateDir: string,
  reporter: Reporter,
): Promise<Deno.FsFile> {
  if (!pathPresent(join(stateDir, RUNNING_LOG))) return lock;
  try {
    const { stopLeftovers } = await import("./running_log.ts");
    await stopLeftovers(stateDir, reporter);
  } catch (error) {
    lock.close();
    throw error;
  }
  return lock;
}

/**
 * Takes the project's build lock if nobody holds it, without waiting; as
 * {@linkcode lockState} does, it then stops the commands a build that did
 * not end left running.
 * @param stateDir The state directory.
 * @param reporter Told of the commands stopped.
 * @returns The locked file (closing it releases the lock), or undefined
 * when another process holds the lock.
 */
export async function tryLockState(
  stateDir: string,
  reporter: Reporter = {},
): Promise<Deno.FsFile | undefined> {
  for (;;) {
    Deno.mkdirSync(stateDir, { recursive: true });
    const path = join(stateDir, BUILD_LOCK);
    const lock = await Deno.open(path, { create: true, write: true });
    if (!(await lock.tryLock(true))) {
      lock.close();
      return undefined;
    }
    if (isSameFile(lock, path)) return await withoutLeftovers(lock, stateDir, reporter);
    lock.close();
  }
}

/**
 * Whether an open file is the one a path names now (not deleted or replaced).
 * @param file The open file.
 * @param path The path.
 * @returns True when they are the same file.
 */
export function isSameFile(file: Deno.FsFile, path: string): boolean {
  const held = file.statSync();
  try {
    const named = Deno.statSync(path);
    return held.ino === named.ino && held.dev === named.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
