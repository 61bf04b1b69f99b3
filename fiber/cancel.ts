/**
 * Cancellation: an error type every waiting primitive rejects with, scopes
 * that cancel their children, and a way to stop waiting for a promise.
 *
 * Cancellation is carried by the standard `AbortSignal`. A primitive that
 * suspends its caller (a throttle slot, an ivar read, an mvar take) accepts a
 * `signal` option; when it aborts, the caller leaves the queue and its promise
 * rejects with a {@linkcode CancelledError} whose `reason` is the signal's.
 *
 * @module
 */

/**
 * The error a waiting operation rejects with when its signal aborts.
 *
 * @example Inspecting the reason
 * ```ts
 * import { CancelledError } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const error = new CancelledError("file changed");
 * assert.equal(error.name, "CancelledError");
 * assert.equal(error.reason, "file changed");
 * assert.equal(error.message, "Operation cancelled: file changed");
 * ```
 */
export class CancelledError extends Error {
  /** Why the operation was cancelled: the abort reason of the signal. */
  readonly reason: unknown;

  /**
   * Creates the error for an operation cancelled with `reason`.
   *
   * @param reason The abort reason, usually `signal.reason`.
   */
  constructor(reason?: unknown) {
    super(messageFor(reason), reason === undefined ? undefined : { cause: reason });
    this.name = "CancelledError";
    this.reason = reason;
  }
}

function messageFor(reason: unknown): string {
  if (reason === undefined || isAbortError(reason)) return "Operation cancelled";
  if (reason instanceof CancelledError) return reason.message;
  if (reason instanceof Error) return `Operation cancelled: ${reason.message}`;
  return `Operation cancelled: ${String(reason)}`;
}

function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * Tells whether `error` means "cancelled" rather than "failed".
 *
 * @param error Any thrown value.
 * @returns True for a {@linkcode CancelledError} and for the `AbortError`
 * DOMException that `fetch`, `Deno.Command` and `AbortSignal.abort()` use.
 *
 * @example Telling cancellation from failure
 * ```ts
 * import { CancelledError, isCancellation } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isCancellation(new CancelledError()));
 * assert.ok(isCancellation(AbortSignal.abort().reason));
 * assert.ok(!isCancellation(new Error("compile failed")));
 * ```
 */
export function isCancellation(error: unknown): boolean {
  return error instanceof CancelledError || isAbortError(error);
}

/**
 * A cancellable region of work whose signal also aborts when its parent's does.
 *
 * Pass {@linkcode CancelScope.signal} to everything started inside the region;
 * {@linkcode CancelScope.cancel} then stops all of it at once. Scopes nest: a
 * scope built on another scope's signal is cancelled with it, while cancelling
 * the child leaves the parent running.
 *
 * @example Cancelling a parent cancels its children
 * ```ts
 * import { CancelScope } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const build = new CancelScope();
 * const step = new CancelScope(build.signal);
 * build.cancel("file changed");
 * assert.ok(step.cancelled);
 * assert.throws(() => step.throwIfCancelled(), { name: "CancelledError" });
 * ```
 */
export class CancelScope {
  #controller: AbortController = new AbortController();
  /** Aborts when this scope or any of its ancestors is cancelled. */
  readonly signal: AbortSignal;

  /**
   * Creates a scope, optionally nested in a parent's signal.
   *
   * @param parent The enclosing scope's signal; if it is already aborted, the
   * new scope starts out cancelled.
   */
  constructor(parent?: AbortSignal) {
    this.signal = parent === undefined
      ? this.#controller.signal
      : AbortSignal.any([parent, this.#controller.signal]);
  }

  /**
   * Cancels the scope; does nothing if it is already cancelled.
   *
   * @param reason Why; becomes `signal.reason` and {@linkcode CancelledError.reason}.
   */
  cancel(reason?: unknown): void {
    this.#controller.abort(reason);
  }

  /** Whether this scope or one of its ancestors has been cancelled. */
  get cancelled(): boolean {
    return this.signal.aborted;
  }

  /** Throws a {@linkcode CancelledError} if the scope has been cancelled. */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw new CancelledError(this.signal.reason);
  }
}

/**
 * Waits for `promise`, but rejects with a {@linkcode CancelledError} as soon as
 * `signal` aborts, or at once if it already has.
 *
 * This stops the waiting, not the work: whatever produces `promise` keeps
 * running unless it watches the same signal. A rejection of `promise` that
 * arrives after the cancellation is ignored.
 *
 * @param promise The promise to wait for.
 * @param signal Stops the wait when it aborts; without one, `promise` is returned.
 * @returns A promise settling like `promise` unless cancelled first.
 *
 * @example Giving up on a promise that never settles
 * ```ts
 * import { abortable } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const waiting = abortable(new Promise<never>(() => {}), controller.signal);
 * controller.abort("stop");
 * await assert.rejects(waiting, { name: "CancelledError", reason: "stop" });
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(new CancelledError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    function onAbort(): void {
      reject(new CancelledError(signal!.reason));
    }
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function ignore(): void {}
