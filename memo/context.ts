/**
 * How a tracked read finds the computation that makes it: an
 * `AsyncLocalStorage` holding the current frame (engine and memo node).
 *
 * An explicit context argument would be cheaper, but every tracked read
 * (`readText`, `Var#get`, memo calls) would then need it threaded through
 * user code, and a forgotten argument would silently lose a dependency.
 * Measured here (bench/memo_bench.ts, "context" group): entering a context and
 * awaiting inside it costs about 0.5 µs more than a plain async call, and
 * `getStore()` about 0.04 µs, well inside the per-node budget.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Cell, MemoNode } from "./node.ts";
import type { Engine } from "./engine.ts";

/** The computation a tracked read belongs to. */
export class Frame {
  /** The engine the computation runs in. */
  readonly engine: Engine;
  /** The memo node whose body is running, or undefined at top level. */
  readonly node: MemoNode | undefined;
  /**
   * Dependencies read so far, in order, without repeats. At top level (no
   * node) these are the computation's roots: what `engine.run` demanded.
   */
  readonly deps: Cell[] = [];
  /** Ranges of `deps` read together, as flat `[start, end)` pairs (see `Trace`). */
  together: number[] | undefined = undefined;
  #seen: Set<Cell> | undefined;
  /** Groups of reads under way (see {@linkcode Frame.readTogether}), and where the outermost began. */
  #open = 0;
  #groupStart = 0;

  constructor(engine: Engine, node: MemoNode | undefined) {
    this.engine = engine;
    this.node = node;
  }

  /**
   * Runs `fn`: what it reads forms one group, re-checked in parallel when
   * the computation is next verified, after the groups read before it and
   * before those read after it. Groups that overlap in time become one.
   * @param fn Code reading dependencies, typically several at once.
   * @returns What `fn` returns.
   */
  async readTogether<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#open++ === 0) this.#groupStart = this.deps.length;
    try {
      return await fn();
    } finally {
      if (--this.#open === 0) {
        const end = this.deps.length;
        if (end - this.#groupStart > 1) (this.together ??= []).push(this.#groupStart, end);
      }
    }
  }

  /** Records a dependency unless it was already read. */
  addDep(cell: Cell): void {
    const deps = this.deps;
    if (this.#seen === undefined) {
      if (deps.length < 16) {
        for (let i = 0; i < deps.length; i++) if (deps[i] === cell) return;
        deps.push(cell);
        return;
      }
      this.#seen = new Set(deps);
    }
    if (this.#seen.has(cell)) return;
    this.#seen.add(cell);
    deps.push(cell);
  }
}

/** The storage that carries the current frame through awaits. */
export const frameStorage: AsyncLocalStorage<Frame> = new AsyncLocalStorage<Frame>();

/**
 * Returns the frame of the running computation, if any.
 * @returns The frame.
 * @internal For barchan's own layers.
 *
 * @example The roots of a run
 * ```ts
 * import { currentFrame, Engine, memo } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const one = memo("frameOne", () => 1);
 * const roots = await new Engine().run(async () => {
 *   await one(null);
 *   return currentFrame()?.deps.length;
 * });
 * assert.equal(roots, 1);
 * assert.equal(currentFrame(), undefined);
 * ```
 */
export function currentFrame(): Frame | undefined {
  return frameStorage.getStore();
}
