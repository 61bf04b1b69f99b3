/**
 * Mutual exclusion for async code.
 *
 * @module
 */

import { Throttle } from "./throttle.ts";

/**
 * A lock held for the duration of an async function; waiters take it in the
 * order they asked for it.
 *
 * The lock is not reentrant: calling {@linkcode Mutex.withLock} again from
 * inside the locked function waits forever.
 *
 * @example Serialising writes to one log
 * ```ts
 * import { Mutex, parallelIter } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const mutex = new Mutex();
 * const log: string[] = [];
 * await parallelIter(["a", "b"], (name) =>
 *   mutex.withLock(async () => {
 *     log.push(`${name} start`);
 *     await Promise.resolve();
 *     log.push(`${name} end`);
 *   }));
 * assert.deepEqual(log, ["a start", "a end", "b start", "b end"]);
 * ```
 */
export class Mutex {
  #slot: Throttle = new Throttle(1);

  /**
   * Runs `fn` while holding the lock, and releases it when `fn` settles.
   *
   * @param fn The critical section. A synchronous throw rejects the result.
   * @param options `signal` gives up waiting for the lock: the call then
   * rejects with a `CancelledError` without running `fn`.
   * @returns What `fn` returns.
   */
  withLock<T>(fn: () => Promise<T> | T, options?: { signal?: AbortSignal }): Promise<T> {
    return this.#slot.run(fn, options);
  }

  /** Whether some call holds the lock now. */
  get locked(): boolean {
    return this.#slot.running > 0;
  }
}
