/**
 * Bringing memo nodes up to date: the fast synchronous check, the shared
 * asynchronous refresh, execution with early cutoff, the restore of a
 * success kept across a failure, and cycle detection through the "waiting
 * on" edges of in-flight nodes. node.ts describes the states.
 *
 * @module
 */
import { isCancellation } from "../fiber/cancel.ts";
import { Frame, frameStorage } from "./context.ts";
import { CycleError, MemoError } from "./errors.ts";
import { type Cell, type Failure, type Leaf, MemoNode, type Success, type Trace } from "./node.ts";
import { definitionNamed, definitionsGeneration } from "./registry.ts";
import type { Engine } from "./engine.ts";

/** Deeper than this, the synchronous check hands over to the asynchronous one. */
const MAX_SYNC_DEPTH = 400;

/**
 * Brings a node up to date in the engine's current run: re-checks its
 * dependencies, executing its body if one changed. Errors of the body are
 * kept in the node, not thrown; this throws only a {@linkcode CycleError}
 * (when waiting would close a cycle) or a cancellation.
 *
 * @param engine The engine.
 * @param node The node to bring up to date.
 * @param caller The node whose computation needs it, if any.
 */
export async function ensure(
  engine: Engine,
  node: MemoNode,
  caller: MemoNode | undefined,
): Promise<void> {
  for (;;) {
    const run = engine.currentRun();
    let pending = node.inflight;
    if (pending === undefined) {
      if (verifySync(engine, node, run, 0)) return;
      if (caller !== undefined) addEdge(caller, node);
      pending = startRefresh(engine, node, run);
    } else if (caller !== undefined) {
      addEdge(caller, node);
      const path = findPath(node, caller);
      if (path !== undefined) {
        removeEdge(caller, node);
        throw new CycleError([caller, ...path.slice(0, -1)].map((n) => n.frame()));
      }
    }
    try {
      await pending;
    } finally {
      if (caller !== undefined) removeEdge(caller, node);
    }
    if (node.verifiedAt >= run) return;
  }
}

/**
 * Verifies a node without awaiting anything, when every dependency of its
 * outcome's trace can be checked synchronously and none changed.
 *
 * @param engine The engine.
 * @param node The node.
 * @param run The current run.
 * @param depth Recursion depth so far.
 * @returns True when the node is now verified for `run`.
 */
export function verifySync(engine: Engine, node: MemoNode, run: number, depth: number): boolean {
  if (node.verifiedAt === run) return true;
  const state = node.state;
  if (
    state.kind === "new" || node.inflight !== undefined || depth > MAX_SYNC_DEPTH ||
    node.codeStale || node.defGeneration !== definitionsGeneration()
  ) return false;
  if (engine.isTrusted(node)) return verified(node, run);
  const trace: Trace = state.kind === "value" ? state.success : state.failure;
  if (state.kind === "failed" && state.failure.stored) return false;
  const deps = trace.deps;
  const builtAt = trace.builtAt;
  for (let i = 0; i < deps.length; i++) {
    const dep = engine.resolveDep(deps, i);
    if (dep === undefined) return false;
    if (dep instanceof MemoNode) {
      if (!verifySync(engine, dep, run, depth + 1)) return false;
    } else engine.checkLeaf(dep as Leaf);
    if (dep.changedAt > builtAt) return false;
  }
  return verified(node, run);
}

/**
 * Verifies, without executing or awaiting anything, every node under `node`
 * whose dependencies are unchanged: unlike {@linkcode verifySync} it goes
 * on past a dependency that changed, or that cannot be checked
 * synchronously, to its siblings, so that a build that follows finds all
 * but what a change reaches verified for `run`. Nothing is executed: a node
 * is only marked verified when a check of its own would find it so.
 *
 * @param engine The engine.
 * @param node The node.
 * @param run The current run.
 * @param depth Recursion depth so far.
 * @param unverified Nodes found not verifiable in this call, not to be walked again.
 * @returns True when the node is now verified for `run`.
 */
export function verifyAhead(
  engine: Engine,
  node: MemoNode,
  run: number,
  depth: number,
  unverified: Set<MemoNode>,
): boolean {
  if (node.verifiedAt === run) return true;
  if (unverified.has(node)) return false;
  const state = node.state;
  if (
    state.kind === "new" || node.inflight !== undefined || depth > MAX_SYNC_DEPTH ||
    node.codeStale || node.defGeneration !== definitionsGeneration() ||
    (state.kind === "failed" && state.failure.stored)
  ) {
    unverified.add(node);
    return false;
  }
  if (engine.isTrusted(node)) return verified(node, run);
  const trace: Trace = state.kind === "value" ? state.success : state.failure;
  const deps = trace.deps;
  const builtAt = trace.builtAt;
  let unchanged = true;
  for (let i = 0; i < deps.length; i++) {
    const dep = engine.resolveDep(deps, i);
    if (dep === undefined) {
      unchanged = false;
      continue;
    }
    if (dep instanceof MemoNode) {
      if (!verifyAhead(engine, dep, run, depth + 1, unverified)) unchanged = false;
    } else engine.checkLeaf(dep as Leaf);
    if (dep.changedAt > builtAt) unchanged = false;
  }
  if (unchanged) return verified(node, run);
  unverified.add(node);
  return false;
}

function verified(node: MemoNode, run: number): true {
  node.verifiedAt = run;
  node.stats.revalidated++;
  return true;
}

/** How many refreshes are nested on the current synchronous stack. */
let syncDepth = 0;

function startRefresh(engine: Engine, node: MemoNode, run: number): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  node.inflight = promise;
  syncDepth++;
  let started: Promise<void>;
  try {
    started = refresh(engine, node, run, syncDepth > MAX_SYNC_DEPTH);
  } finally {
    syncDepth--;
  }
  started.then(
    () => {
      node.inflight = undefined;
      resolve();
    },
    (error) => {
      node.inflight = undefined;
      reject(error);
    },
  );
  return promise;
}

async function refresh(
  engine: Engine,
  node: MemoNode,
  run: number,
  deep: boolean,
): Promise<void> {
  // Deep in nested refreshes, start on a fresh stack: a chain of nodes each
  // demanding the next would otherwise nest every body's synchronous part
  // and overflow.
  if (deep) await undefined;
  if (node.defGeneration !== definitionsGeneration() && !adoptDefinition(node, run)) return;
  if (node.codeStale) {
    node.reason = "code changed";
    return await execute(engine, node, run);
  }
  const state = node.state;
  if (state.kind === "value") {
    const changed = engine.isTrusted(node)
      ? undefined
      : await firstChanged(engine, node, state.success, false);
    if (changed === undefined) {
      verified(node, run);
      return;
    }
    node.reason = changed;
  } else if (state.kind === "failed") {
    const failure = state.failure;
    if (!failure.stored) {
      const changed = await firstChanged(engine, node, failure, false);
      if (changed === undefined) {
        verified(node, run);
        return;
      }
      node.reason = changed;
    } else node.reason = "failed";
    // A failure the body threw by itself, as the store says, is retried: what
    // made it fail may be outside what it read (a flaky command).
    if (state.success !== undefined && !(failure.stored && failure.own)) {
      const changed = await firstChanged(engine, node, state.success, true);
      if (changed === undefined) return restore(engine, node, state.success, run);
      if (!failure.stored) node.reason = changed;
    }
  }
  await execute(engine, node, run);
}

/**
 * Takes back the success a failure followed: every dependency it read has
 * its value again. The store learns it too, or its record keeps the failure.
 */
function restore(engine: Engine, node: MemoNode, success: Success, run: number): void {
  // Checked against its dependencies now: built as of this run, for a
  // check that compares when they changed with when it was built.
  node.state = { kind: "value", success: { ...success, builtAt: run } };
  node.changedAt = run;
  verified(node, run);
  engine.nodeExecuted(node, success.deps);
}

/** Picks up a reloaded definition; returns false when the function no longer exists. */
function adoptDefinition(node: MemoNode, run: number): boolean {
  node.defGeneration = definitionsGeneration();
  const current = definitionNamed(node.def.name);
  if (current === node.def) return true;
  if (current === undefined) {
    node.state = {
      kind: "failed",
      failure: {
        error: new Error(`Memo function "${node.def.name}" no longer exists`),
        own: true,
        stored: false,
        deps: [],
        together: undefined,
        builtAt: run,
      },
      success: undefined,
    };
    node.changedAt = run;
    node.verifiedAt = run;
    return false;
  }
  // The old outcome stays, for early cutoff; `codeStale` says the body executes again.
  node.def = current;
  return true;
}

/**
 * The id of the first dependency of a trace that changed since it was
 * built, bringing memo dependencies up to date on the way: one by one, or a
 * group read together all at once. With `successOnly`, a memo dependency
 * counts as unchanged only while its outcome is a value that last changed
 * before the trace was built (what restoring a kept success needs); without,
 * any change of its outcome counts.
 */
async function firstChanged(
  engine: Engine,
  node: MemoNode,
  trace: Trace,
  successOnly: boolean,
): Promise<string | undefined> {
  const deps = trace.deps;
  const together = trace.together;
  const builtAt = trace.builtAt;
  let group = 0;
  for (let i = 0; i < deps.length;) {
    let end = i + 1;
    if (together !== undefined && group < together.length && together[group] === i) {
      end = together[group + 1];
      group += 2;
    }
    if (end - i === 1) {
      const dep = engine.resolveDep(deps, i);
      if (dep === undefined) return engine.refId(deps[i]);
      if (dep instanceof MemoNode) {
        try {
          await ensure(engine, dep, node);
        } catch (error) {
          if (isCancellation(error)) throw error;
          return dep.id;
        }
      } else engine.checkLeaf(dep as Leaf);
      if (changedSince(dep, builtAt, successOnly)) return dep.id;
    } else {
      const changed = await firstChangedTogether(engine, node, deps, i, end, builtAt, successOnly);
      if (changed !== undefined) return changed;
    }
    i = end;
  }
  return undefined;
}

/** {@linkcode firstChanged} for `deps[start, end)`, read together: checked all at once. */
async function firstChangedTogether(
  engine: Engine,
  node: MemoNode,
  deps: Trace["deps"],
  start: number,
  end: number,
  builtAt: number,
  successOnly: boolean,
): Promise<string | undefined> {
  const cells: (Cell | undefined)[] = [];
  const failed = new Set<Cell>();
  const checks: Promise<void>[] = [];
  for (let i = start; i < end; i++) {
    const dep = engine.resolveDep(deps, i);
    cells.push(dep);
    if (dep instanceof MemoNode) {
      if (verifySync(engine, dep, engine.currentRun(), 0)) continue;
      checks.push(
        ensure(engine, dep, node).catch((error) => {
          if (isCancellation(error)) throw error;
          failed.add(dep);
        }),
      );
    } else if (dep !== undefined) engine.checkLeaf(dep as Leaf);
  }
  if (checks.length > 0) {
    const settled = await Promise.allSettled(checks);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }
  for (let k = 0; k < cells.length; k++) {
    const dep = cells[k];
    if (dep === undefined) return engine.refId(deps[start + k]);
    if (failed.has(dep) || changedSince(dep, builtAt, successOnly)) return dep.id;
  }
  return undefined;
}

function changedSince(dep: Cell, builtAt: number, successOnly: boolean): boolean {
  if (!successOnly || !(dep instanceof MemoNode)) return dep.changedAt > builtAt;
  const state = dep.state;
  return state.kind !== "value" || state.success.changedAt > builtAt;
}

function callBody(node: MemoNode): unknown {
  return node.def.fn(node.input);
}

async function execute(engine: Engine, node: MemoNode, run: number): Promise<void> {
  const frame = new Frame(engine, node);
  const before = node.state;
  const previous = node.trace?.deps;
  // What it read last time is what it most likely reads again: loaded now
  // by their place in the store, those cells are found without a lookup of
  // their ids.
  if (previous !== undefined) {
    for (let i = 0; i < previous.length; i++) engine.resolveDep(previous, i);
  }
  let value: unknown;
  let error: unknown;
  let failed = false;
  if (engine.onExecute !== undefined) engine.willExecute(node);
  try {
    value = await frameStorage.run(frame, callBody, node);
  } catch (thrown) {
    if (isCancellation(thrown)) throw thrown;
    failed = true;
    error = withFrame(thrown, node);
  }
  node.stats.executed++;
  node.code = node.def.code;
  const kept = before.kind === "new" ? undefined : before.success;
  const trace: Trace = { deps: frame.deps, together: frame.together, builtAt: run };
  if (failed) {
    const failure: Failure = { ...trace, error, own: !readFailure(frame.deps), stored: false };
    node.state = { kind: "failed", failure, success: kept };
    node.changedAt = run;
  } else {
    const same = kept !== undefined && sameValue(node, kept.value, value);
    if (same) node.stats.cutoff++;
    // The new value replaces the old even when equal under the cutoff: it is
    // what the body returns now; only dependents are spared.
    node.state = {
      kind: "value",
      success: { ...trace, value, changedAt: same ? kept.changedAt : run },
    };
    if (!same || before.kind !== "value") node.changedAt = run;
  }
  node.verifiedAt = run;
  engine.nodeExecuted(node, previous);
}

/** Whether a body read a memo call that failed: then its own failure may be that one. */
function readFailure(deps: readonly Cell[]): boolean {
  for (const dep of deps) {
    if (dep instanceof MemoNode && dep.state.kind === "failed") return true;
  }
  return false;
}

function sameValue(node: MemoNode, a: unknown, b: unknown): boolean {
  try {
    return node.def.cutoff(a, b);
  } catch {
    return false;
  }
}

function withFrame(thrown: unknown, node: MemoNode): unknown {
  if (thrown instanceof CycleError) return thrown;
  if (thrown instanceof MemoError) {
    return new MemoError(thrown.cause, [...thrown.frames, node.frame()]);
  }
  return new MemoError(thrown, [node.frame()]);
}

function addEdge(from: MemoNode, to: MemoNode): void {
  const waiting = from.waitingOn;
  if (waiting === undefined) from.waitingOn = to;
  else if (waiting instanceof Set) waiting.add(to);
  else if (waiting !== to) from.waitingOn = new Set([waiting, to]);
}

function removeEdge(from: MemoNode, to: MemoNode): void {
  const waiting = from.waitingOn;
  if (waiting === to) from.waitingOn = undefined;
  else if (waiting instanceof Set) waiting.delete(to);
}

/** A path of waiting edges from `from` to `to` (both included), if any. */
function findPath(from: MemoNode, to: MemoNode): MemoNode[] | undefined {
  const seen = new Set<MemoNode>();
  const path: MemoNode[] = [];
  const visit = (n: MemoNode): boolean => {
    path.push(n);
    if (n === to) return true;
    if (!seen.has(n)) {
      seen.add(n);
      const waiting = n.waitingOn;
      if (waiting instanceof Set) {
        for (const next of waiting) if (visit(next)) return true;
      } else if (waiting !== undefined && visit(waiting)) return true;
    }
    path.pop();
    return false;
  };
  return visit(from) ? path : undefined;
}
