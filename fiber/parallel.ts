/**
 * Structured parallel combinators.
 *
 * Two promises guide every combinator here:
 *
 * - Structured: when the returned promise settles, no branch is running any
 *   more. A failing branch does not abandon its siblings; the combinator waits
 *   for all of them.
 * - All errors: every failure is kept. One failing branch rejects the
 *   combinator with that error itself; several reject it with a
 *   {@linkcode ParallelError} listing each distinct error once, nested
 *   ParallelErrors flattened. Each failure also reaches the innermost
 *   `withErrorHandler` callback as soon as its branch rejects.
 *
 * @module
 */

import { currentHandler, type Handler } from "./_handler.ts";

/**
 * The rejection of a combinator whose branches failed with several errors.
 *
 * `errors` is flat and free of duplicates: errors of nested ParallelErrors are
 * listed directly, and an error object that arrived through several branches
 * appears once. Errors are in branch order.
 *
 * @example Two failures
 * ```ts
 * import { ParallelError, parallelIter } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const failure = await parallelIter(["a.o", "b.o"], (target) => {
 *   throw new Error(`Cannot build "${target}"`);
 * }).catch((error) => error);
 * assert.ok(failure instanceof ParallelError);
 * assert.deepEqual(failure.errors.map((e) => (e as Error).message), [
 *   'Cannot build "a.o"',
 *   'Cannot build "b.o"',
 * ]);
 * ```
 */
export class ParallelError extends AggregateError {
  /** The distinct errors, flattened, in branch order. */
  declare readonly errors: unknown[];

  /**
   * Collects errors, flattening nested ParallelErrors and dropping duplicates.
   *
   * @param errors The errors of the failed branches.
   */
  constructor(errors: Iterable<unknown>) {
    const flat = flatten(errors);
    super(flat, describeAll(flat));
    this.name = "ParallelError";
  }
}

/**
 * Lists the distinct errors inside `error`: the flattened contents of a
 * {@linkcode ParallelError}, or `error` itself otherwise.
 *
 * @param error A rejection reason, e.g. from {@linkcode parallelMap}.
 * @returns A new array holding each distinct error once.
 *
 * @example Flattening
 * ```ts
 * import { errorsOf, ParallelError } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const a = new Error("a");
 * const b = new Error("b");
 * const nested = new ParallelError([a, new ParallelError([b, a])]);
 * assert.deepEqual(errorsOf(nested), [a, b]);
 * assert.deepEqual(errorsOf(a), [a]);
 * ```
 */
export function errorsOf(error: unknown): unknown[] {
  return error instanceof ParallelError ? flatten(error.errors) : [error];
}

/**
 * Options of {@linkcode parallelMap} and {@linkcode parallelIter}.
 *
 * @example At most two calls at once
 * ```ts
 * import { type ParallelOptions, parallelIter } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const options: ParallelOptions = { limit: 2 };
 * let running = 0;
 * let peak = 0;
 * await parallelIter([1, 2, 3, 4, 5], async () => {
 *   peak = Math.max(peak, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   running--;
 * }, options);
 * assert.equal(peak, 2);
 * ```
 */
export interface ParallelOptions {
  /**
   * How many calls may be in progress at once: the next item's call starts
   * when one settles, in item order. A bound keeps the state of suspended
   * calls small when there are many items and little can progress at once.
   * @default Infinity
   */
  limit?: number;
}

/**
 * Runs `a` and `b` at the same time and waits for both.
 *
 * @param a The first branch.
 * @param b The second branch.
 * @returns Both results, once both branches have settled.
 *
 * @example Two branches
 * ```ts
 * import { forkAndJoin } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const [sum, name] = await forkAndJoin(async () => 1 + 2, async () => "main.o");
 * assert.deepEqual([sum, name], [3, "main.o"]);
 * ```
 */
export function forkAndJoin<A, B>(
  a: () => PromiseLike<A> | A,
  b: () => PromiseLike<B> | B,
): Promise<[A, B]> {
  const results = new Array(2);
  return join([a, b], callThunk, results, currentHandler(), Infinity).then(() => results as [A, B]);
}

function callThunk(thunk: () => unknown): unknown {
  return thunk();
}

/**
 * Calls `f` on every item at once (or `limit` at a time) and collects the
 * results in item order.
 *
 * @param items What to map over.
 * @param f Called once per item with the item and its index.
 * @param options How many calls may run at once.
 * @returns The results, once every call has settled.
 *
 * @example Mapping in parallel
 * ```ts
 * import { parallelMap } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const lengths = await parallelMap(["a.c", "main.c"], async (file) => file.length);
 * assert.deepEqual(lengths, [3, 6]);
 * ```
 */
export function parallelMap<T, R>(
  items: Iterable<T>,
  f: (item: T, index: number) => PromiseLike<R> | R,
  options: ParallelOptions = {},
): Promise<R[]> {
  const list = Array.isArray(items) ? items as readonly T[] : Array.from(items);
  const results = new Array<R>(list.length);
  return join(list, f, results, currentHandler(), limitOf(options)).then(() => results);
}

/**
 * Calls `f` on every item at once (or `limit` at a time) and waits for all
 * the calls.
 *
 * @param items What to iterate over.
 * @param f Called once per item with the item and its index.
 * @param options How many calls may run at once.
 * @returns A promise that resolves once every call has settled.
 *
 * @example Running side effects in parallel
 * ```ts
 * import { parallelIter } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const built = new Set<string>();
 * await parallelIter(["a.o", "b.o"], async (target) => {
 *   built.add(target);
 * });
 * assert.equal(built.size, 2);
 * ```
 */
export function parallelIter<T>(
  items: Iterable<T>,
  f: (item: T, index: number) => unknown,
  options: ParallelOptions = {},
): Promise<void> {
  const list = Array.isArray(items) ? items as readonly T[] : Array.from(items);
  return join(list, f, undefined, currentHandler(), limitOf(options));
}

/**
 * Calls `f` on each item in turn, starting the next call when the previous
 * one has resolved; the first failure stops the loop and rejects.
 *
 * @param items What to map over.
 * @param f Called once per item with the item and its index.
 * @returns The results in item order.
 *
 * @example One at a time
 * ```ts
 * import { sequentialMap } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const log: string[] = [];
 * await sequentialMap(["configure", "make"], async (step) => {
 *   log.push(step);
 * });
 * assert.deepEqual(log, ["configure", "make"]);
 * ```
 */
export async function sequentialMap<T, R>(
  items: Iterable<T>,
  f: (item: T, index: number) => PromiseLike<R> | R,
): Promise<R[]> {
  const results: R[] = [];
  let index = 0;
  for (const item of items) results.push(await f(item, index++));
  return results;
}

interface Failure {
  readonly index: number;
  readonly error: unknown;
}

function limitOf(options: ParallelOptions): number {
  const limit = options.limit ?? Infinity;
  if (limit === Infinity || (Number.isInteger(limit) && limit >= 1)) return limit;
  throw new RangeError(
    `Cannot run ${limit} calls at once: the limit must be an integer of at least 1 or Infinity`,
  );
}

// Starts branches in one loop, up to `limit` of them, attaches one pair of
// reactions to each branch promise and counts settlements: each settlement
// starts the next branch, and the count reaching zero settles the whole. A
// branch that settles at once is started and counted within the same loop,
// so thousands of them never nest calls.
function join<T>(
  items: readonly T[],
  f: (item: T, index: number) => unknown,
  results: unknown[] | undefined,
  handler: Handler | undefined,
  limit: number,
): Promise<void> {
  const count = items.length;
  if (count === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let pending = count;
    let running = 0;
    let next = 0;
    let starting = false;
    let failures: Failure[] | undefined;

    function settled(): void {
      running--;
      if (--pending === 0) {
        if (failures === undefined) resolve();
        else reject(combine(failures));
        return;
      }
      startBranches();
    }
    function failed(index: number, error: unknown): void {
      (failures ??= []).push({ index, error });
      handler?.report(errorsOf(error));
      settled();
    }
    function succeeded(index: number, result: unknown): void {
      if (results !== undefined) results[index] = result;
      settled();
    }
    function start(i: number): void {
      running++;
      let value: unknown;
      try {
        value = f(items[i], i);
      } catch (error) {
        failed(i, error);
        return;
      }
      if (isThenable(value)) {
        const promise = value instanceof Promise ? value : Promise.resolve(value);
        promise.then(
          results === undefined ? settled : (result: unknown) => succeeded(i, result),
          (error: unknown) => failed(i, error),
        );
      } else succeeded(i, value);
    }
    function startBranches(): void {
      if (starting) return;
      starting = true;
      while (next < count && running < limit) start(next++);
      starting = false;
    }

    startBranches();
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise ||
    (typeof value === "object" && value !== null &&
      typeof (value as { then?: unknown }).then === "function");
}

function combine(failures: Failure[]): unknown {
  if (failures.length === 1) return failures[0].error;
  failures.sort((x, y) => x.index - y.index);
  const errors = flatten(failures.map((failure) => failure.error));
  return errors.length === 1 ? errors[0] : new ParallelError(errors);
}

function flatten(errors: Iterable<unknown>): unknown[] {
  const seen = new Set<unknown>();
  const flat: unknown[] = [];
  function add(error: unknown): void {
    if (error instanceof ParallelError) {
      for (const inner of error.errors) add(inner);
    } else if (!seen.has(error)) {
      seen.add(error);
      flat.push(error);
    }
  }
  for (const error of errors) add(error);
  return flat;
}

/** How many errors a ParallelError message lists before summarising the rest. */
const LISTED_ERRORS = 10;

function describeAll(errors: readonly unknown[]): string {
  const lines = errors.slice(0, LISTED_ERRORS).map((error) =>
    "  " + describe(error).replaceAll("\n", "\n    ")
  );
  if (errors.length > LISTED_ERRORS) lines.push(`  ...and ${errors.length - LISTED_ERRORS} more`);
  const noun = errors.length === 1 ? "error" : "errors";
  return `${errors.length} ${noun}:\n${lines.join("\n")}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
