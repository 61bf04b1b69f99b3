/**
 * Errors raised by memo computations: a failure with the chain of memo calls
 * that led to it, and a dependency cycle.
 *
 * @module
 */

/** One memo call in a "required by" chain or a cycle: the function and its input. */
export interface StackFrame {
  /** The memo function's name. */
  readonly name: string;
  /** The input the function was called with. */
  readonly input: unknown;
  /** How the call is shown to users: `name(input)` or the function's description. */
  readonly label: string;
}

/**
 * A memo body failed. `cause` is what the body threw; `frames` is the chain of
 * memo calls from the one that failed to the outermost, as users read it:
 * `in lines("a.txt"), required by total(["a.txt"])`.
 *
 * @example Reading the chain
 * ```ts
 * import { Engine, memo, MemoError } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const fails = memo("docFails", (n: number) => {
 *   throw new Error(`bad ${n}`);
 * });
 * const caller = memo("docCaller", (n: number) => fails(n));
 * const error = await new Engine().run(() => caller(1)).catch((e) => e);
 * assert.ok(error instanceof MemoError);
 * assert.deepEqual(error.frames.map((f) => f.name), ["docFails", "docCaller"]);
 * ```
 */
export class MemoError extends Error {
  /** The memo calls that led to the failure, innermost first. */
  readonly frames: readonly StackFrame[];

  /**
   * Wraps what a memo body threw.
   * @param cause What the body threw.
   * @param frames The chain of calls, innermost first.
   */
  constructor(cause: unknown, frames: readonly StackFrame[]) {
    super(formatChain(messageOf(cause), frames), { cause });
    this.name = "MemoError";
    this.frames = frames;
  }
}

/**
 * A memo call depends on itself, directly or through a chain of calls.
 * `frames` lists the cycle, starting at the call that closed it.
 *
 * @example Detecting a cycle
 * ```ts
 * import { CycleError, Engine, memo } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const loop = memo("docLoop", async (n: number): Promise<number> => await loop(n));
 * const error = await new Engine().run(() => loop(1)).catch((e) => e);
 * assert.ok(error instanceof CycleError);
 * assert.deepEqual(error.frames.map((f) => f.label), ["docLoop(1)"]);
 * ```
 */
export class CycleError extends Error {
  /** The calls that form the cycle, each depending on the next; the last depends on the first. */
  readonly frames: readonly StackFrame[];

  /**
   * Creates a cycle error.
   * @param frames The calls in the cycle.
   */
  constructor(frames: readonly StackFrame[]) {
    const path = [...frames, frames[0]].map((f) => f.label).join("\n  -> ");
    super(`Dependency cycle:\n  ${path}`);
    this.name = "CycleError";
    this.frames = frames;
  }
}

/**
 * Returns the message of a thrown value, whatever it is.
 * @param error The thrown value.
 * @returns Its message.
 * @internal For barchan's own layers.
 *
 * @example Errors and other thrown values
 * ```ts
 * import { messageOf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(messageOf(new Error("disk full")), "disk full");
 * assert.equal(messageOf("plain text"), "plain text");
 * ```
 */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function formatChain(message: string, frames: readonly StackFrame[]): string {
  if (frames.length === 0) return message;
  const lines = [message, `  in ${frames[0].label}`];
  for (let i = 1; i < frames.length; i++) lines.push(`  required by ${frames[i].label}`);
  return lines.join("\n");
}
