/**
 * The cells of the dependency graph: memo nodes (one per function and input)
 * and the leaves they read (files, listings, environment variables, vars).
 *
 * A memo node's outcome is one of three states ({@linkcode NodeState}):
 *
 * - `new`: no outcome known; the first demand executes the body.
 * - `value`: the last execution returned a value; `success` is its trace.
 * - `failed`: the last execution threw; `failure` is its trace, and
 *   `success` keeps the last execution that returned a value, if any (its
 *   value and what it read), so that a node that failed only because a
 *   dependency failed comes back with that value, without executing, once
 *   the dependency is back to what it was.
 *
 * How a demand in run R treats a node (exec.ts), unless it is in flight
 * (`inflight` holds the promise of the running check or execution, which
 * concurrent demands share, and `waitingOn` the nodes it waits for, which is
 * what cycle detection walks):
 *
 * - verified in R (`verifiedAt === R`): its outcome is served as is;
 * - its definition changed (`codeStale`): the body executes, and a value
 *   equal to the old one under the cutoff still stops propagation;
 * - `value`: the trace's dependencies are re-checked in the order they were
 *   read, those read together in parallel (`together`); re-checking a memo
 *   dependency may recompute it. If one has `changedAt > builtAt` the body
 *   executes, otherwise the node is verified without running anything;
 * - `failed`: the failure stands while its own trace is unchanged; otherwise
 *   the success it keeps is restored when every dependency it read has its
 *   value (not an error) and that value last changed before the success was
 *   built; otherwise the body executes. A failure loaded from the store has
 *   no trace: one the body threw itself (`own`) executes again, one that came
 *   from a dependency tries the restore first.
 *
 * Invariants: `builtAt` of a trace is the run in which that execution
 * started; a node's `changedAt` is the run in which its outcome (value or
 * error) last became different, and a success's `changedAt <= builtAt` the
 * run in which its value last did (an execution whose value is equal under
 * the cutoff keeps the old one: that is early cutoff). Leaves have a
 * `changedAt` too, so one comparison answers "did this dependency change
 * since I was built?".
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
  /** The run in which this cell's value (a node's: its outcome) last changed. */
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

/** What one execution of a body read, and when it started. */
export interface Trace {
  /** What it read, in the order it first read it, each once. */
  deps: DepRef[];
  /**
   * Ranges of `deps` read together, as flat `[start, end)` pairs in order:
   * re-checked in parallel. Other dependencies are re-checked one by one.
   */
  together: readonly number[] | undefined;
  /** The run in which the execution started. */
  builtAt: number;
}

/** An execution that returned a value. */
export interface Success extends Trace {
  /** The value. */
  value: unknown;
  /** The run in which the value last became different (early cutoff keeps it). */
  changedAt: number;
}

/** An execution that threw. */
export interface Failure extends Trace {
  /** What it threw; undefined for a failure loaded from the store. */
  error: unknown;
  /** Whether the body failed by itself, rather than because a dependency it read had failed. */
  own: boolean;
  /** Loaded from the store: the trace is unknown, so the failure never stands as is. */
  stored: boolean;
}

/** The outcome a memo node holds. */
export type NodeState =
  | { readonly kind: "new" }
  | { readonly kind: "value"; readonly success: Success }
  | { readonly kind: "failed"; readonly failure: Failure; readonly success: Success | undefined };

const NEW: NodeState = Object.freeze({ kind: "new" });

/** The result of one memo function applied to one input. */
export class MemoNode extends Cell {
  /** The function's definition. */
  def: MemoDefinition;
  /** The input the body is called with. */
  readonly input: unknown;
  /** The counters this node reports to. */
  readonly stats: MemoStats;
  /** The outcome, with what the execution that gave it read. */
  state: NodeState = NEW;
  /** The run in which this node was last known to be up to date. */
  verifiedAt = -1;
  /** The check or execution under way, if any. */
  inflight: Promise<void> | undefined = undefined;
  /**
   * Nodes this in-flight node is waiting for: usually one, so a single node
   * is kept as is and a set is made only for several at once.
   */
  waitingOn: MemoNode | Set<MemoNode> | undefined = undefined;
  /**
   * Why the body last executed: `new`, `code changed`, `failed` (its last
   * execution failed, as the store says), or the id of the changed dependency.
   */
  reason = "new";
  /**
   * The digest of the code that computed the outcome: when the definition's
   * differs, the body must execute (see {@linkcode MemoNode.codeStale}).
   */
  code: string;
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
    this.code = def.code;
    this.input = input;
    this.stats = stats;
  }

  /** Whether the definition changed since the outcome was computed: the body must execute. */
  get codeStale(): boolean {
    return this.code !== this.def.code && this.state.kind !== "new";
  }

  /** Whether an outcome (value or error) is known. */
  get hasResult(): boolean {
    return this.state.kind !== "new";
  }

  /** The value, when the outcome is one. */
  get value(): unknown {
    const state = this.state;
    return state.kind === "value" ? state.success.value : undefined;
  }

  /** The error, when the outcome is one. */
  get error(): unknown {
    const state = this.state;
    return state.kind === "failed" ? state.failure.error : undefined;
  }

  /** The trace of the outcome: what the execution that gave it read. */
  get trace(): Trace | undefined {
    const state = this.state;
    return state.kind === "value"
      ? state.success
      : state.kind === "failed"
      ? state.failure
      : undefined;
  }

  /** What the execution that gave the outcome read; empty when none is known. */
  get deps(): DepRef[] {
    return this.trace?.deps ?? [];
  }

  /** The last execution that returned a value, if any: the outcome's, or the one before a failure. */
  get success(): Success | undefined {
    const state = this.state;
    return state.kind === "new" ? undefined : state.success;
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
