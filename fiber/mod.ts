/**
 * Structured concurrency on promises: parallel combinators that never leave
 * work running behind them and report every error, synchronisation
 * primitives, cancellation, a process scheduler and a file watcher.
 *
 * A fiber is simply an async function. The combinators run branches at the
 * same time and keep two promises: when they settle, no branch is still
 * running; and no error is lost, since one failing branch rejects with its
 * error and several with a {@linkcode ParallelError} holding each of them.
 *
 * - Parallelism: {@linkcode forkAndJoin}, {@linkcode parallelMap},
 *   {@linkcode parallelIter}, {@linkcode sequentialMap}, {@linkcode errorsOf}.
 * - Errors as they happen: {@linkcode withErrorHandler} hears about each
 *   failing branch at once (innermost handler only).
 * - Synchronisation: {@linkcode Ivar} (write once), {@linkcode Mvar} (one-slot
 *   mailbox), {@linkcode Mutex}, {@linkcode Throttle} (at most N at a time).
 * - Cancellation: every wait takes an `AbortSignal` and rejects with a
 *   {@linkcode CancelledError}; {@linkcode CancelScope} nests signals and
 *   {@linkcode abortable} stops waiting for any promise.
 *
 * @example Running two computations in parallel
 * ```ts
 * import { forkAndJoin } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = await forkAndJoin(async () => 1, async () => "two");
 * assert.deepEqual([a, b], [1, "two"]);
 * ```
 *
 * @example Compiling at most four files at a time, printing failures early
 * ```ts
 * import { parallelMap, Throttle, withErrorHandler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const jobs = new Throttle(4);
 * const printed: string[] = [];
 * const objects = await withErrorHandler(
 *   () => parallelMap(["a.c", "b.c"], (file) => jobs.run(async () => file.replace(".c", ".o"))),
 *   (error) => printed.push(String(error)),
 * );
 * assert.deepEqual(objects, ["a.o", "b.o"]);
 * assert.deepEqual(printed, []);
 * ```
 *
 * @module
 */

export { abortable, CancelledError, CancelScope, isCancellation } from "./cancel.ts";
export { withErrorHandler } from "./error_handler.ts";
export { Ivar } from "./ivar.ts";
export { Mutex } from "./mutex.ts";
export { Mvar } from "./mvar.ts";
export {
  errorsOf,
  forkAndJoin,
  ParallelError,
  parallelIter,
  parallelMap,
  type ParallelOptions,
  sequentialMap,
} from "./parallel.ts";
export { Throttle } from "./throttle.ts";
export type {
  JobCancelledEvent,
  JobEvent,
  JobEventBase,
  JobFinishedEvent,
  JobQueuedEvent,
  JobStartedEvent,
} from "./job_event.ts";
export { MissingProgramError } from "./missing_program.ts";
export { onInterrupt } from "./on_interrupt.ts";
export type { OnInterruptOptions } from "./on_interrupt.ts";
export { armedWatchdog, armWatchdog, watchdogMessagesTo } from "./watchdog.ts";
export { processStartTime, stopLeftover } from "./leftover.ts";
export { formatCommand, ProcessError, type ProcessErrorInit } from "./process_error.ts";
export {
  type ProcessObserver,
  type RunningCommand,
  Scheduler,
  type SchedulerOptions,
} from "./scheduler.ts";
export type { SpawnOptions, SpawnOutput, SpawnResult } from "./spawn_options.ts";
export {
  watch,
  type WatchBatch,
  type WatchChangeKind,
  type Watcher,
  type WatchOptions,
} from "./watcher.ts";

// For barchan's own layers (marked @internal).
export { removeIfPresent } from "./_remove_if_present.ts";
