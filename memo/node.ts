/**
 * The cells of the dependency graph: memo nodes (one per function and input)
 * and the leaves they read (files, listings, environment variables, vars).
 *
 * A memo node moves through these states:
 *
 * - new: `hasResult` is false; the first demand executes the body.
 * - cached: `hasResult` is true and `verifiedAt` is an older run; the next
 *   demand re-checks `deps` in the order they were first read. Checking a
 *   memo dependency may recompute it. If some dependency has
 *   `changedAt > builtAt`, the body executes again; otherwise the node is
 *   verified without running anything.
 * - verified: `verifiedAt` is the current run; its outcome is served as is.
 * - in flight: `inflight` holds the promise of the running check or
 *   execution; concurrent demands share it, and `waitingOn` holds the nodes it
 *   is waiting for, which is what cycle detection walks.
 *
 * Invariants: `builtAt` is the run in which the body last started, and
 * `changedAt <= builtAt` is the run in which its outcome last became different
 * (an execution whose value is equal under the cutoff keeps the old
 * `changedAt`: that is early cutoff). Leaves have a `changedAt` too, so one
 * comparison answers "did this dependency change since I was built?".
 *
 * @module
 */
import type { MemoDefinition, MemoStats } from "./definition.ts";
import type { StackFrame } from "./errors.ts";

/**
 * What every cell of the graph has: an identity and the run its value last changed in.
 * @internal For barchan's own layers.
 */
export abstract class Cell {
  /** Unique id within an engine and its store. */
  readonly id: string;
  /** The run in which this cell's value last changed. */
  changedAt = -1;
  /**
   * Where the store's string table, as loaded, holds this cell's id, when
   * the cell was loaded from the store; -1 otherwise. Writing the cell (or a
   * node depending on it) then needs no lookup of the id.
   */
  storeIndex = -1;

  constructor(id: string) {
    this.id = id;
  }
}

/**
 * A dependency as stored: a cell; the id of a cell not yet loaded; or, for a
 * node loaded from the store, the index of such an id in the store's table.
 */
export type DepRef = Cell | string | number;

/** The result of one memo function applied to one input. */
export class MemoNode extends Cell {
  /** The function's definition. */
  def: MemoDefinition;
  /** The input the body is called with. */
  readonly input: unknown;
  /** The counters this node reports to. */
  readonly stats: MemoStats;
  /** Whether `value` or `error` holds an outcome. */
  hasResult = false;
  /** The value of the last successful execution. */
  value: unknown = undefined;
  /** The error of the last failed execution. */
  error: unknown = undefined;
  /** What the last execution read, in the order it was first read. */
  deps: DepRef[] = [];
  /** The run in which the body last started. */
  builtAt = -1;
  /** The run in which this node was last known to be up to date. */
  verifiedAt = -1;
  /** The check or execution under way, if any. */
  inflight: Promise<void> | undefined = undefined;
  /**
   * Nodes this in-flight node is waiting for: usually one, so a single node
   * is kept as is and a set is made only for several at once.
   */
  waitingOn: MemoNode | Set<MemoNode> | undefined = undefined;
  /** Why the body last executed: `new`, `code changed`, or the id of the changed dependency. */
  reason = "new";
  /** The definitions generation `def` was checked against. */
  defGeneration: number;

  constructor(
    id: string,
    def: MemoDefinition,
    input: unknown,
    stats: MemoStats,
    defGeneration: number,
  ) {
    super(id);
    this.defGeneration = defGeneration;
    this.def = def;
    this.input = input;
    this.stats = stats;
  }

  /** This call as a frame of a "required by" chain. */
  frame(): StackFrame {
    return { name: this.def.name, input: this.input, label: this.def.label(this.input) };
  }
}

/**
 * What a leaf is, for the store and for explanations.
 * @internal For barchan's own layers.
 */
export type LeafKind = "file" | "listing" | "env" | "var" | "input";

/**
 * An input of the graph that is read, not computed. `check` brings its value
 * up to date and moves `changedAt` to the current run when it differs.
 * @internal For barchan's own layers.
 */
export abstract class Leaf extends Cell {
  /** The engine epoch in which the value was last checked; -1 forces a check. */
  checkedEpoch = -1;
  /** What kind of input this is. */
  abstract readonly kind: LeafKind;
  /** A human description, e.g. `file src/a.c`. */
  abstract describe(): string;
}
