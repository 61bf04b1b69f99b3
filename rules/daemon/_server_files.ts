// The build server's hold on its project's state directory: its lock, taken
// with a little patience; its pid file and log; noticing that the directory
// was deleted or replaced; and the timer that ends an idle server.

import { join } from "node:path";
import type { Reporter } from "../report/reporter.ts";
import { tryLockState } from "../run/lock.ts";
import { BUILD_LOCK, SERVER_LOG, SERVER_PID, STATE_DIR } from "../state.ts";

/** How long a starting server tries for the build lock (another server may be releasing it). */
const LOCK_PATIENCE_MS = 1000;

/**
 * Takes the build lock, giving a server that is stopping a moment to release it.
 * @param reporter Told of the commands a killed build left running, stopped once the lock is held.
 * @returns The lock, or undefined when another process keeps it.
 */
export async function takeLockPatiently(
  stateDir: string,
  reporter: Reporter,
): Promise<Deno.FsFile | undefined> {
  const deadline = performance.now() + LOCK_PATIENCE_MS;
  for (;;) {
    const lock = await tryLockState(stateDir, reporter);
    if (lock !== undefined || performance.now() > deadline) return lock;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A timer that fires once, `ms` after it is armed, unless cancelled or armed again. */
export function idleTimer(ms: number, fire: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => clearTimeout(timer);
  const arm = () => {
    cancel();
    timer = setTimeout(fire, ms);
  };
  arm();
  return { arm, cancel };
}

/** Calls `check` on every change to the state directory itself or its lock file. */
export function watchStateDir(stateDir: string, check: () => void): { close(): void } {
  let fs: Deno.FsWatcher;
  try {
    fs = Deno.watchFs(stateDir, { recursive: false });
  } catch {
    return { close() {} };
  }
  const lock = join(stateDir, BUILD_LOCK);
  void (async () => {
    try {
      for await (const event of fs) {
        if (event.kind === "remove" || event.paths.some((p) => p === stateDir || p === lock)) {
          check();
        }
      }
    } catch {
      // Closed, or the directory went: the periodic check sees it.
    }
  })();
  return {
    close() {
      try {
        fs.close();
      } catch {
        // Closed already.
      }
    },
  };
}

/** Appends timestamped lines to the server's log, written anew by each server. */
export function serverLog(stateDir: string): (line: string) => void {
  const encoder = new TextEncoder();
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(join(stateDir, SERVER_LOG), {
      write: true,
      create: true,
      truncate: true,
    });
  } catch {
    // No log then.
  }
  return (line) => {
    if (file === undefined) return;
    try {
      file.writeSync(encoder.encode(`${new Date().toISOString()} ${line}\n`));
    } catch {
      file = undefined;
    }
  };
}

/**
 * What a build server's watchdog appended to its log (`watchdog: MESSAGE`,
 * fiber/watchdog.ts): build.ts's top level kept it from answering when its
 * client was interrupted. The line is written once the server is gone, so
 * it is waited for a moment.
 * @param root The project root.
 * @param waitMs How long to wait for it.
 * @returns The message, or undefined when the log does not end with one.
 */
export async function watchdogMessage(root: string, waitMs = 500): Promise<string | undefined> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    let text = "";
    try {
      text = Deno.readTextFileSync(join(root, STATE_DIR, SERVER_LOG));
    } catch {
      // No log: nothing to say.
    }
    const last = text.trimEnd().split("\n").at(-1) ?? "";
    if (last.startsWith("watchdog: ")) return last.slice("watchdog: ".length);
    if (performance.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function writePid(stateDir: string): void {
  try {
    Deno.writeTextFileSync(join(stateDir, SERVER_PID), `${Deno.pid}\n`);
  } catch {
    // Without it, only a server that answers can be stopped.
  }
}

export function removePid(stateDir: string): void {
  try {
    Deno.removeSync(join(stateDir, SERVER_PID));
  } catch {
    // Gone already.
  }
}
