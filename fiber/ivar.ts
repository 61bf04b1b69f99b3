/**
 * A write-once variable that readers can wait on.
 *
 * @module
 */

import { abortable } from "./cancel.ts";

/**
 * A write-once variable: filled once, read any number of times.
 *
 * Readers that arrive before the value wait for it; readers that arrive after
 * get it at once. Filling it twice is an error.
 *
 * @typeParam T The type of the value.
 *
 * @example One fiber fills, another waits
 * ```ts
 * import { forkAndJoin, Ivar } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const digest = new Ivar<string>();
 * const [read] = await forkAndJoin(
 *   () => digest.read(),
 *   () => digest.fill("9f86d08"),
 * );
 * assert.equal(read, "9f86d08");
 * assert.throws(() => digest.fill("other"), /already filled/);
 * ```
 */
export class Ivar<T> {
  #filled = false;
  #value: T | undefined;
  // Created by the first read that has to wait; resolved by fill.
  #waiting: PromiseWithResolvers<T> | undefined;

  /**
   * Sets the value and wakes every waiting reader.
   *
   * @param value The value, final from now on.
   * @throws {Error} If the ivar was already filled.
   */
  fill(value: T): void {
    if (this.#filled) {
      throw new Error("Cannot fill ivar: it was already filled");
    }
    this.#filled = true;
    this.#value = value;
    this.#waiting?.resolve(value);
    this.#waiting = undefined;
  }

  /**
   * Returns the value, waiting for it to be filled if need be.
   *
   * @param options `signal` stops the wait; the read then rejects with a
   * `CancelledError`, as it does at once if the signal has already aborted.
   * @returns The value.
   *
   * @example Cancelling a read
   * ```ts
   * import { Ivar } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const ivar = new Ivar<number>();
   * const controller = new AbortController();
   * const read = ivar.read({ signal: controller.signal });
   * controller.abort();
   * await assert.rejects(read, { name: "CancelledError" });
   * ```
   */
  read(options?: { signal?: AbortSignal }): Promise<T> {
    const signal = options?.signal;
    if (this.#filled) return abortable(Promise.resolve(this.#value as T), signal);
    this.#waiting ??= Promise.withResolvers<T>();
    return abortable(this.#waiting.promise, signal);
  }

  /**
   * Returns the value without waiting.
   *
   * @returns The value, or undefined if the ivar is not filled yet.
   */
  peek(): T | undefined {
    return this.#value;
  }

  /** Whether the value has been set. */
  get isFilled(): boolean {
    return this.#filled;
  }
}
