/**
 * Ctrl-C handling for a build: kill the children, save state, exit.
 *
 * The terminal's Ctrl-C reaches this process and, on Linux, the commands it
 * runs (they share its process group, as make's do); elsewhere each command
 * has a group of its own and only this process hears it. Either way, what
 * the commands started may not hear it, and without a handler would outlive
 * the build. A command that dies of SIGINT or SIGTERM while the handler
 * cancels the build is not reported as a failure.
 *
 * @module
 */

import type { RunningCommand, Scheduler } from "./scheduler.ts";

const isWindows = Deno.build.os === "windows";

/** Options of {@linkcode onInterrupt}. */
export interface OnInterruptOptions {
  /**
   * Told, once the commands are stopped and before `flush`, which signal
   * came and which commands it stopped: to say so.
   * @default nothing is said
   */
  report?: (signal: Deno.Signal, stopped: readonly RunningCommand[]) => void | Promise<void>;
  /**
   * How long `flush` may take before the process exits anyway, in
   * milliseconds: a build waiting on something that never settles (a
   * build description awaiting forever) must not keep Ctrl-C from working.
   * @default 300
   */
  flushMs?: number;
}

/**
 * Installs SIGINT and SIGTERM handlers that kill every child of `scheduler`
 * (with what it started), tell `options.report` which, await `flush` (for
 * `options.flushMs` at most), then exit with 128 + the signal number: 130
 * for SIGINT, 143 for SIGTERM. A second signal while this runs exits at once. If `flush` fails, its error is printed and the exit code is
 * the same. On Windows, SIGINT and SIGBREAK are handled.
 *
 * Meanwhile the build's pending {@linkcode Scheduler.spawn} calls reject with
 * a `CancelledError`. Let that propagate: once interrupted, unhandled
 * rejections no longer end the process. Code that catches it must not exit on
 * its own, or `flush` may not finish.
 *
 * @param scheduler The scheduler whose children must not outlive the build.
 * @param flush Saves what must survive the interruption, e.g. the build log.
 * @param options What to say, and how long `flush` may take.
 * @returns A function that uninstalls the handlers.
 *
 * @example Install for the length of a build
 * ```ts
 * import { onInterrupt, Scheduler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const scheduler = new Scheduler();
 * const uninstall = onInterrupt(scheduler, () => {});
 * try {
 *   const { stdout } = await scheduler.spawn("echo", ["built"]);
 *   assert.equal(stdout, "built\n");
 * } finally {
 *   uninstall();
 * }
 * ```
 */
export function onInterrupt(
  scheduler: Scheduler,
  flush: () => Promise<void> | void,
  options: OnInterruptOptions = {},
): () => void {
  const signals: Deno.Signal[] = isWindows ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
  const flushMs = options.flushMs ?? 300;
  let interrupted = false;
  async function stop(signal: Deno.Signal, exitCode: number): Promise<void> {
    if (interrupted) Deno.exit(exitCode);
    interrupted = true;
    // The build's pending spawns now reject with CancelledError; wherever that
    // surfaces unhandled (a top-level await included), it must not end the
    // process before `flush` is done.
    globalThis.addEventListener("unhandledrejection", (event) => event.preventDefault());
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const stopped = scheduler.runningCommands();
      await scheduler.killAll();
      await options.report?.(signal, stopped);
      await Promise.race([
        flush(),
        new Promise<void>((resolve) => timer = setTimeout(resolve, flushMs)),
      ]);
    } catch (error) {
      console.error("Interrupted, and saving the build state failed:", error);
    } finally {
      clearTimeout(timer);
    }
    Deno.exit(exitCode);
  }
  const handlers = signals.map((signal) => {
    const exitCode = 128 + (signal === "SIGTERM" ? 15 : 2);
    const handler = () => void stop(signal, exitCode);
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  return function uninstall(): void {
    for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  };
}
