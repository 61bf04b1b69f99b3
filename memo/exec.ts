/**
 * Bringing memo nodes up to date: the fast synchronous check, the shared
 * asynchronous refresh, execution with early cutoff, and cycle detection
 * through the "waiting on" edges of in-flight nodes.
 *
 * @module
 */
import { isCancellation } from "../fiber/cancel.ts";
import { Frame, frameStorage } from "./context.ts";
import { CycleError, MemoError } from "./errors.ts";
import { type Leaf, MemoNode } from "./node.ts";
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
 * Verifies a node without awaiting anything, when every dependency can be
 * checked synchronously and none changed.
 *
 * @param engine The engine.
 * @param node The node.
 * @param run The current run.
 * @param depth Recursion depth so far.
 * @returns True when the node is now verified for `run`.
 */
export function verifySync(engine: Engine, node: MemoNode, run: number, depth: number): boolean {
  if (node.verifiedAt === run) return true;
  if (
    !node.hasResult || node.inflight !== undefined || depth > MAX_SYNC_DEPTH ||
    node.defGeneration !== definitionsGeneration()
  ) return false;
  if (engine.isTrusted(node, run)) {
    node.verifiedAt = run;
    node.stats.revalidated++;
    return true;
  }
  const deps = node.deps;
  const builtAt = node.builtAt;
  for (let i = 0; i < deps.length; i++) {
    const dep = engine.resolveDep(deps, i);
    if (dep === undefined) return false;
    if (dep instanceof MemoNode) {
      if (!verifySync(engine, dep, run, depth + 1)) return false;
    } else engine.checkLeaf(dep as Leaf);
    if (dep.changedAt > builtAt) return false;
  }
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
  if (node.hasResult) {
    const changed = engine.isTrusted(node, run) ? undefined : await firstChangedDep(engine, node);
    if (changed === undefined) {
      node.verifiedAt = run;
      node.stats.revalidated++;
      return;
    }
    node.reason = changed;
  }
  await execute(engine, node, run);
}

/** Picks up a reloaded definition; returns false when the function no longer exists. */
function adoptDefinition(node: MemoNode, run: number): boolean {
  node.defGeneration = definitionsGeneration();
  const current = definitionNamed(node.def.name);
  if (current === node.def) return true;
  if (current === undefined) {
    node.hasResult = true;
    node.value = undefined;
    node.error = new Error(`Memo function "${node.def.name}" no longer exists`);
    node.deps = [];
    node.changedAt = run;
    node.verifiedAt = run;
    return false;
  }
  if (current.code !== node.def.code) {
    node.hasResult = false;
    node.reason = "code changed";
  }
  node.def = current;
  return true;
}

async function firstChangedDep(engine: Engine, node: MemoNode): Promise<string | undefined> {
  const deps = node.deps;
  for (let i = 0; i < deps.length; i++) {
    const ref = deps[i];
    const dep = engine.resolveDep(deps, i);
    if (dep === undefined) return engine.refId(ref);
    if (dep instanceof MemoNode) {
      try {
        await ensure(engine, dep, node);
      } catch (error) {
        if (isCancellation(error)) throw error;
        return dep.id;
      }
    } else engine.checkLeaf(dep as Leaf);
    if (dep.changedAt > node.builtAt) return dep.id;
  }
  return undefined;
}

function callBody(node: MemoNode): unknown {
  return node.def.fn(node.input);
}

async function execute(engine: Engine, node: MemoNode, run: number): Promise<void> {
  const frame = new Frame(engine, node);
  const previous = node.hasResult ? node.deps : undefined;
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
  const same = !failed && node.hasResult && node.error === undefined &&
    sameValue(node, node.value, value);
  if (same) node.stats.cutoff++;
  else {
    node.changedAt = run;
    node.value = failed ? undefined : value;
  }
  node.error = error;
  node.hasResult = true;
  node.deps = frame.deps;
  node.builtAt = run;
  node.verifiedAt = run;
  engine.nodeExecuted(node, previous);
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
