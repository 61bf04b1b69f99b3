/**
 * A one-slot mailbox between concurrent producers and consumers.
 *
 * @module
 */

import { CancelledError } from "./cancel.ts";
import { WaitQueue } from "./_wait_queue.ts";

/**
 * A mailbox holding at most one value: {@linkcode Mvar.put} waits for the
 * slot to be empty, {@linkcode Mvar.take} waits for it to be full.
 *
 * Waiting takers and waiting putters are each served first come, first
 * served, and every value put is taken exactly once. A wait cancelled through
 * its signal leaves the queue without taking or delivering a value: a
 * cancelled `put` rejects and its value goes nowhere.
 *
 * Invariant: while the slot is full no taker waits, and while it is empty no
 * putter waits; a put meeting a waiting taker hands the value over directly.
 *
 * @typeParam T The type of the values passed.
 *
 * @example A producer and a consumer
 * ```ts
 * import { forkAndJoin, Mvar } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const mailbox = new Mvar<number>();
 * const [, received] = await forkAndJoin(
 *   async () => {
 *     for (const n of [1, 2, 3]) await mailbox.put(n);
 *   },
 *   async () => [await mailbox.take(), await mailbox.take(), await mailbox.take()],
 * );
 * assert.deepEqual(received, [1, 2, 3]);
 * ```
 */
export class Mvar<T> {
  #full = false;
  #value: T | undefined;
  #takers: WaitQueue<T> = new WaitQueue();
  #putters: WaitQueue<void, T> = new WaitQueue();

  /**
   * Removes and returns the value, waiting for one if the slot is empty.
   *
   * @param options `signal` stops the wait; the take then rejects with a
   * {@linkcode CancelledError} and no value is consumed.
   * @returns The value taken.
   */
  take(options?: { signal?: AbortSignal }): Promise<T> {
    const signal = options?.signal;
    if (!this.#full) return this.#takers.wait(undefined, signal);
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const value = this.#value as T;
    const putter = this.#putters.shift();
    if (putter === undefined) {
      this.#full = false;
      this.#value = undefined;
    } else {
      this.#value = putter.data;
      putter.resolve();
    }
    return Promise.resolve(value);
  }

  /**
   * Puts `value` in the slot, waiting for the slot to be empty if need be.
   *
   * @param value The value to deliver.
   * @param options `signal` stops the wait; the put then rejects with a
   * {@linkcode CancelledError} and `value` is not delivered.
   * @returns A promise resolving once the value is in the slot or handed to a taker.
   *
   * @example Cancelling a put on a full mailbox
   * ```ts
   * import { Mvar } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const mailbox = new Mvar<string>();
   * await mailbox.put("first");
   * const controller = new AbortController();
   * const second = mailbox.put("second", { signal: controller.signal });
   * controller.abort();
   * await assert.rejects(second, { name: "CancelledError" });
   * assert.equal(await mailbox.take(), "first");
   * ```
   */
  put(value: T, options?: { signal?: AbortSignal }): Promise<void> {
    const signal = options?.signal;
    if (this.#full) return this.#putters.wait(value, signal);
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const taker = this.#takers.shift();
    if (taker === undefined) {
      this.#full = true;
      this.#value = value;
    } else {
      taker.resolve(value);
    }
    return Promise.resolve();
  }
}
