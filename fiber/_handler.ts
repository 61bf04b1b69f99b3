// The error handler in effect for the current async context.
//
// `withErrorHandler` installs a Handler with AsyncLocalStorage; the parallel
// combinators read it when they start and report each branch failure to it the
// moment the branch rejects. Only the innermost handler hears about an error:
// reporting marks the error as seen in every enclosing handler too, so when
// the same error later propagates outwards (as the inner withErrorHandler's
// rejection, say) the outer handlers stay silent about it.

import { AsyncLocalStorage } from "node:async_hooks";

/** One `withErrorHandler` call: its callback and the errors already delivered. */
export class Handler {
  readonly #onError: (error: unknown) => void;
  readonly #parent: Handler | undefined;
  // Errors delivered here or to a handler nested inside this one. Objects are
  // held weakly; primitives (a thrown string) are compared by value.
  readonly #seenObjects: WeakSet<object> = new WeakSet();
  #seenPrimitives: Set<unknown> | undefined;
  // Set when onError threw and there is no enclosing handler to tell.
  #failure: { error: unknown } | undefined;

  constructor(onError: (error: unknown) => void, parent: Handler | undefined) {
    this.#onError = onError;
    this.#parent = parent;
  }

  /** What the outermost handler's callback threw, if it did. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** Delivers each error not delivered before; `errors` is already flattened. */
  report(errors: readonly unknown[]): void {
    for (const error of errors) {
      if (this.#seen(error)) continue;
      this.#mark(error);
      for (let outer = this.#parent; outer !== undefined; outer = outer.#parent) {
        outer.#mark(error);
      }
      this.#deliver(error);
    }
  }

  #deliver(error: unknown): void {
    try {
      // The callback runs outside this handler, so whatever it starts reports
      // to the enclosing one.
      storage.run(this.#parent as Handler, this.#onError, error);
    } catch (thrown) {
      if (this.#parent !== undefined) this.#parent.report([thrown]);
      else this.#failure ??= { error: thrown };
    }
  }

  #seen(error: unknown): boolean {
    if (isObject(error)) return this.#seenObjects.has(error);
    return this.#seenPrimitives?.has(error) ?? false;
  }

  #mark(error: unknown): void {
    if (isObject(error)) this.#seenObjects.add(error);
    else (this.#seenPrimitives ??= new Set()).add(error);
  }
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

/** Holds the innermost handler of the current async context. */
export const storage: AsyncLocalStorage<Handler> = new AsyncLocalStorage<Handler>();

/** The innermost handler in effect, if any. */
export function currentHandler(): Handler | undefined {
  return storage.getStore();
}
