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

import type { Scheduler } from "./scheduler.ts";

const isWindows = Deno.build.os === "windows";

/**
 * Installs SIGINT and SIGTERM handlers that kill every child of `scheduler`
 * (with what it started), await `flush`, then exit with 128 + the signal
 * number: 130 for SIGINT, 143 for SIGTERM. A second signal while this runs
 * exits at once. If `flush` fails, its error is printed and the exit code is
 * the same. On Windows, SIGINT and SIGBREAK are handled.
 *
 * Meanwhile the build's pending {@linkcode Scheduler.spawn} calls reject with
 * a `CancelledError`. Let that propagate: once interrupted, unhandled
 * rejections no longer end the process. Code that catches it must not exit on
 * its own, or `flush` may not finish.
 *
 * @param scheduler The scheduler whose children must not outlive the build.
 * @param flush Saves what must survive the interruption, e.g. the build log.
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
): () => void {
  const signals: Deno.Signal[] = isWindows ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
  let interrupted = false;
  async function stop(exitCode: number): Promise<void> {
    if (interrupted) Deno.exit(exitCode);
    interrupted = true;
    // The build's pending spawns now reject with CancelledError; wherever that
    // surfaces unhandled (a top-level await included), it must not end the
    // process before `flush` is done.
    globalThis.addEventListener("unhandledrejection", (event) => event.preventDefault());
    try {
      await scheduler.killAll();
      await flush();
    } catch (error) {
      console.error("Interrupted, and saving the build state failed:", error);
    }
    Deno.exit(exitCode);
  }
  const handlers = signals.map((signal) => {
    const exitCode = 128 + (signal === "SIGTERM" ? 15 : 2);
    const handler = () => void stop(exitCode);
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  return function uninstall(): void {
    for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  };
}
