/**
 * Hearing about errors as they happen, before the work that raised them ends.
 *
 * @module
 */

import { currentHandler, Handler, storage } from "./_handler.ts";
import { errorsOf } from "./parallel.ts";

/**
 * Runs `fn`, calling `onError` with each error raised inside it as it happens,
 * so that failures can be shown while other branches are still running.
 *
 * The parallel combinators ({@linkcode parallelMap} and its siblings) report a
 * branch's error the moment the branch rejects, long before the combinator
 * itself settles; an error that escapes `fn` without passing through a
 * combinator is reported when `fn` rejects. Each distinct error (compared by
 * identity, a {@linkcode ParallelError} counting as the errors it holds) is
 * reported once per handler. Cancellations are reported like any other error;
 * use {@linkcode isCancellation} to skip them.
 *
 * Handlers nest, and an error goes to the innermost handler only: once an
 * inner handler has been told, the enclosing handlers are not, even when the
 * error propagates out through them. To forward an error outwards, throw it
 * from `onError`: whatever `onError` throws goes to the enclosing handler, or,
 * at the outermost level, becomes the rejection of `withErrorHandler` once
 * `fn` has settled.
 *
 * `onError` itself runs in the enclosing handler's context. The handler
 * applies to work started (directly or through `await`) inside `fn`; plain
 * `Promise.all` does not report to it, only the combinators of this module do.
 *
 * @param fn The work to watch.
 * @param onError Called with each error once, as soon as it is raised.
 * @returns What `fn` returns; rejects as `fn` does, after reporting.
 *
 * @example Reporting each failure while the others still run
 * ```ts
 * import { parallelIter, withErrorHandler } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const build = withErrorHandler(
 *   () =>
 *     parallelIter(["a.o", "b.o", "c.o"], async (target) => {
 *       if (target !== "b.o") throw new Error(`Cannot build "${target}"`);
 *     }),
 *   (error) => seen.push((error as Error).message),
 * );
 * await assert.rejects(build, { name: "ParallelError" });
 * assert.deepEqual(seen, ['Cannot build "a.o"', 'Cannot build "c.o"']);
 * ```
 */
export async function withErrorHandler<T>(
  fn: () => Promise<T>,
  onError: (error: unknown) => void,
): Promise<T> {
  const handler = new Handler(onError, currentHandler());
  let result: T;
  try {
    result = await storage.run(handler, fn);
  } catch (error) {
    handler.report(errorsOf(error));
    if (handler.failure !== undefined) throw handler.failure.error;
    throw error;
  }
  if (handler.failure !== undefined) throw handler.failure.error;
  return result;
}
