/**
 * A throttle: at most N jobs at once, the rest waiting in FIFO order.
 *
 * @module
 */

import { CancelledError } from "./cancel.ts";
import { WaitQueue } from "./_wait_queue.ts";

/**
 * Limits how many jobs run at the same time; the others wait their turn.
 *
 * Jobs start in the order {@linkcode Throttle.run} was called. The capacity
 * may change at any time: growing it starts waiting jobs at once, shrinking it
 * lets running jobs finish and starts no new one until fewer than the new
 * capacity are running.
 *
 * @example At most two jobs at a time
 * ```ts
 * import { parallelMap, Throttle } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const throttle = new Throttle(2);
 * let peak = 0;
 * const results = await parallelMap([1, 2, 3, 4, 5], (n) =>
 *   throttle.run(async () => {
 *     peak = Math.max(peak, throttle.running);
 *     await Promise.resolve();
 *     return n * 10;
 *   }));
 * assert.deepEqual(results, [10, 20, 30, 40, 50]);
 * assert.equal(peak, 2);
 * ```
 */
export class Throttle {
  #capacity: number;
  #running = 0;
  #queue: WaitQueue<void> = new WaitQueue();

  /**
   * Creates a throttle.
   *
   * @param capacity How many jobs may run at once: an integer of at least 1,
   * or `Infinity` for no limit.
   * @throws {RangeError} If `capacity` is not such a number.
   */
  constructor(capacity: number) {
    this.#capacity = checkCapacity(capacity);
  }

  /** How many jobs may run at once. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Changes how many jobs may run at once, effective immediately.
   *
   * @throws {RangeError} If `capacity` is not an integer of at least 1 or `Infinity`.
   */
  set capacity(capacity: number) {
    this.#capacity = checkCapacity(capacity);
    this.#startWaiting();
  }

  /**
   * Changes how many jobs may run at once; the same as setting
   * {@linkcode Throttle.capacity}.
   *
   * @param capacity The new limit: an integer of at least 1, or `Infinity`.
   *
   * @example Growing the throttle starts waiting jobs
   * ```ts
   * import { Throttle } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const throttle = new Throttle(1);
   * const gate = Promise.withResolvers<void>();
   * const first = throttle.run(() => gate.promise);
   * const second = throttle.run(() => "second");
   * assert.equal(throttle.waiting, 1);
   * throttle.resize(2);
   * assert.equal(await second, "second");
   * gate.resolve();
   * await first;
   * ```
   */
  resize(capacity: number): void {
    this.capacity = capacity;
  }

  /** How many jobs are running now. */
  get running(): number {
    return this.#running;
  }

  /** How many jobs wait for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Runs `fn` once a slot is free and settles like it; the slot is released
   * when the job settles, whether it succeeds or fails.
   *
   * @param fn The job. A synchronous throw rejects the returned promise.
   * @param options `signal` gives up waiting for a slot: the job leaves the
   * queue without running. A job that already started is not interrupted; pass
   * the signal to the job itself if it should stop.
   * @returns The job's result.
   * @throws {CancelledError} If `options.signal` aborts before the job starts.
   *
   * @example Giving up while queued
   * ```ts
   * import { Throttle } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const throttle = new Throttle(1);
   * const gate = Promise.withResolvers<void>();
   * const busy = throttle.run(() => gate.promise);
   * const controller = new AbortController();
   * const queued = throttle.run(() => "never", { signal: controller.signal });
   * controller.abort();
   * await assert.rejects(queued, { name: "CancelledError" });
   * assert.equal(throttle.waiting, 0);
   * gate.resolve();
   * await busy;
   * ```
   */
  async run<T>(fn: () => Promise<T> | T, options?: { signal?: AbortSignal }): Promise<T> {
    const signal = options?.signal;
    if (this.#running < this.#capacity && this.#queue.size === 0) {
      if (signal?.aborted) throw new CancelledError(signal.reason);
      this.#running++;
    } else {
      // The slot is counted in #running by whoever wakes us.
      await this.#queue.wait(undefined, signal);
    }
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#startWaiting();
    }
  }

  #startWaiting(): void {
    while (this.#running < this.#capacity) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      this.#running++;
      next.resolve();
    }
  }
}

function checkCapacity(capacity: number): number {
  if (capacity === Infinity || (Number.isInteger(capacity) && capacity >= 1)) return capacity;
  throw new RangeError(
    `Cannot set throttle capacity to ${capacity}: it must be an integer of at least 1 or Infinity`,
  );
}
