/**
 * Structured concurrency on promises: parallel combinators that never leave
 * work running behind them and report every error, synchronisation
 * primitives, cancellation, a process scheduler and a file watcher.
 *
 * @example Limiting concurrency
 * ```ts
 * import { Throttle } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const throttle = new Throttle(4);
 * assert.equal(await throttle.run(() => 42), 42);
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
  sequentialMap,
} from "./parallel.ts";
export { Throttle } from "./throttle.ts";
