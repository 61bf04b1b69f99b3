/**
 * Whether a root and everything under it is still as the store recorded it,
 * from the store's summary alone (persist/checkpoint.ts): no record is
 * decoded, no memo function needs to be defined.
 *
 * The nodes under the root are walked through their recorded dependencies;
 * every leaf reached is checked against the world (a file's stat fields,
 * and its content when they moved or cannot vouch for it; a listing; an
 * environment variable). A node is clean when it did not fail, every leaf
 * under it is unchanged, every node under it is clean, and none of its
 * dependencies changed after it was built. Vars and inputs are set by the
 * process that uses the engine, so a node that read one is never clean here.
 *
 * This is memo's own verification (exec.ts), run bottom-up on the summary:
 * a root found clean would be verified by the engine without executing
 * anything, and a clean node may be taken as verified
 * (`Engine#trustUnchanged`).
 *
 * @module
 */
import { EnvLeaf } from "./leaves/env.ts";
import { FileLeaf } from "./leaves/file.ts";
import { ListingLeaf } from "./leaves/listing.ts";
import { ENV, FILE, LISTING, NODE, type Summary } from "./persist/checkpoint.ts";
import type { Store, StoreRecord } from "./persist/store.ts";
import { statRelativeTo, statUnchanged } from "./stat/stat.ts";

/** What {@linkcode verifyRoot} found. */
export interface RootVerdict {
  /** Whether the root would be verified without executing anything. */
  readonly upToDate: boolean;
  /** Ids of the nodes under the root (itself included) that nothing changed under. */
  readonly clean: ReadonlySet<string>;
  /**
   * Whether the node at this place of the store's table is among `clean`:
   * the same answer without making the ids.
   */
  isClean(index: number): boolean;
  /**
   * Files whose stat fields moved but whose content did not (a touched
   * source, an output written within a clock tick of its check): their new
   * state, as records to append, so that the next check does not hash them again.
   */
  readonly refreshed: StoreRecord[];
  /** Descriptions of the leaves that changed, e.g. `file src/a.c`. */
  readonly changed: string[];
}

/** Leaf states while checking: not checked yet, unchanged, changed. */
const UNCHECKED = 0;
const UNCHANGED = 1;
const CHANGED = 2;

/**
 * Checks a root against its store's summary and the world.
 * @param store The store, opened (a lazy one reads no record for this).
 * @param rootId The root node's id.
 * @param root The directory relative paths in the store are relative to.
 * @returns The verdict; `upToDate` false when the root is not in the store
 * or the store has no summary.
 */
export function verifyRoot(store: Store, rootId: string, root: string): RootVerdict {
  const summary = store.summary;
  const start = summary === undefined ? -1 : store.indexOf(rootId);
  if (summary === undefined || start < 0 || summary.kindOf(start) !== NODE) {
    return verdict(false, store, [], [], []);
  }
  const refreshed: StoreRecord[] = [];
  const changed: string[] = [];
  const run = store.lastRun + 1;
  const size = store.tableSize;
  // Post-order over the nodes under the root; each leaf checked once.
  const order: number[] = [];
  const state = new Int8Array(size); // nodes: 0 unseen, 1 entered, 2 done
  const leaves = new Int8Array(size);
  const stack: number[] = [start];
  const next: number[] = [0];
  state[start] = 1;
  const prefix = root.endsWith("/") ? root : root + "/";
  statRelativeTo(root);
  try {
    // Indexed by the checkpoint and clean then: its leaves alone decide.
    const index = summary.rootIndex(start);
    if (index?.clean) {
      let moved = false;
      for (const leaf of index.leaves) {
        const changedNow = leafMoved(store, summary, leaf, prefix, run, refreshed, changed);
        leaves[leaf] = changedNow ? CHANGED : UNCHANGED;
        moved ||= changedNow;
      }
      if (!moved) return verdict(true, store, index.nodes, refreshed, changed);
    }
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top];
      const deps = summary.depsOf(node);
      if (next[top] < deps.length) {
        const dep = deps[next[top]++];
        const kind = summary.kindOf(dep);
        if (kind === NODE) {
          if (state[dep] === 0) {
            state[dep] = 1;
            stack.push(dep);
            next.push(0);
          }
        } else if (kind >= 0 && leaves[dep] === UNCHECKED) {
          const moved = leafMoved(store, summary, dep, prefix, run, refreshed, changed);
          leaves[dep] = moved ? CHANGED : UNCHANGED;
        }
        continue;
      }
      stack.pop();
      next.pop();
      state[node] = 2;
      order.push(node);
    }
  } finally {
    statRelativeTo(undefined);
  }
  const dirty = new Uint8Array(size);
  for (const node of order) {
    let bad = summary.failed(node);
    const builtAt = summary.builtAtOf(node);
    const deps = summary.depsOf(node);
    for (let k = 0; k < deps.length && !bad; k++) {
      const dep = deps[k];
      const kind = summary.kindOf(dep);
      if (kind < 0) bad = true;
      else if (kind === NODE) bad = dirty[dep] === 1 || state[dep] !== 2;
      else bad = leaves[dep] === CHANGED;
      if (!bad && summary.changedAtOf(dep) > builtAt) bad = true;
    }
    if (bad) dirty[node] = 1;
  }
  const clean = order.filter((node) => dirty[node] === 0);
  return verdict(dirty[start] === 0, store, clean, refreshed, changed);
}

/**
 * A verdict whose clean nodes are these; their ids are made when asked, as
 * only a build that is not up to date needs them.
 */
function verdict(
  upToDate: boolean,
  store: Store,
  nodes: ArrayLike<number>,
  refreshed: StoreRecord[],
  changed: string[],
): RootVerdict {
  let clean: Set<string> | undefined;
  let bits: Uint8Array | undefined;
  return {
    upToDate,
    get clean() {
      if (clean === undefined) {
        clean = new Set();
        for (let k = 0; k < nodes.length; k++) clean.add(store.stringAt(nodes[k]));
      }
      return clean;
    },
    isClean(index) {
      if (bits === undefined) {
        bits = new Uint8Array(store.tableSize);
        for (let k = 0; k < nodes.length; k++) bits[nodes[k]] = 1;
      }
      return bits[index] === 1;
    },
    refreshed,
    changed,
  };
}

/**
 * Checks one leaf: true when its value changed (or cannot be checked here).
 * A file whose stat fields moved but content did not gets a record in
 * `refreshed`.
 */
function leafMoved(
  store: Store,
  summary: Summary,
  i: number,
  prefix: string,
  run: number,
  refreshed: StoreRecord[],
  changed: string[],
): boolean {
  const id = store.stringAt(i);
  const kind = summary.kindOf(i);
  if (kind === FILE) {
    const path = absolute(prefix, id.slice(2));
    if (
      summary.trusted(i) &&
      summary.fileStatIs(
        i,
        (mtime, size, ino, ctime) => statUnchanged(path, mtime, size, ino, ctime),
      )
    ) return false;
    const leaf = FileLeaf.withState(path, summary.fileOf(i));
    try {
      if (!leaf.refresh(run)) return false;
    } catch {
      // A file that cannot be read: the build says why.
      changed.push(leaf.describe());
      return true;
    }
    if (leaf.changedAt === run) {
      changed.push(leaf.describe());
      return true;
    }
    refreshed.push({
      t: "f",
      id,
      ix: i,
      g: leaf.digest,
      m: leaf.mtime,
      s: leaf.size,
      n: leaf.ino,
      x: leaf.ctime,
      w: leaf.trusted ? 1 : 0,
      c: summary.changedAtOf(i),
    });
    return false;
  }
  const record = summary.otherOf(i)!;
  if (kind === LISTING) {
    const leaf = new ListingLeaf(
      id,
      absolute(prefix, record[2] as string),
      record[3] as string | null,
      record[4] as string[],
    );
    leaf.digest = record[5] as string;
    if (!leaf.refresh(run)) return false;
    changed.push(leaf.describe());
    return true;
  }
  if (kind === ENV) {
    const leaf = new EnvLeaf(id, record[2] as string);
    leaf.value = record[3] as string | null;
    if (!leaf.refresh(run)) return false;
    changed.push(leaf.describe());
    return true;
  }
  // A var or an input: only the process that sets it knows its value.
  changed.push(id);
  return true;
}

/** A stored path made absolute: stored paths under the root are normal relative paths. */
function absolute(prefix: string, stored: string): string {
  if (stored.startsWith("/")) return stored;
  return stored === "." ? prefix.slice(0, -1) : prefix + stored;
}
