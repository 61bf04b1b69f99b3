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
import { resolvePath } from "./stat/paths.ts";
import { EnvLeaf } from "./leaves/env.ts";
import { FileLeaf } from "./leaves/file.ts";
import { ListingLeaf } from "./leaves/listing.ts";
import { ENV, FILE, LISTING, NODE, type Summary } from "./persist/checkpoint.ts";
import type { Store, StoreRecord } from "./persist/store.ts";
import { statUnchanged } from "./stat/stat.ts";

/** What {@linkcode verifyRoot} found. */
export interface RootVerdict {
  /** Whether the root would be verified without executing anything. */
  upToDate: boolean;
  /** Ids of the nodes under the root (itself included) that nothing changed under. */
  clean: Set<string>;
  /**
   * Files whose stat fields moved but whose content did not (a touched
   * source, an output written within a clock tick of its check): their new
   * state, as records to append, so that the next check does not hash them again.
   */
  refreshed: StoreRecord[];
  /** Descriptions of the leaves that changed, e.g. `file src/a.c`. */
  changed: string[];
}

/**
 * Checks a root against its store's summary and the world.
 * @param store The store, opened (a lazy one reads no record for this).
 * @param rootId The root node's id.
 * @param root The directory relative paths in the store are relative to.
 * @returns The verdict; `upToDate` false when the root is not in the store
 * or the store has no summary.
 */
export function verifyRoot(store: Store, rootId: string, root: string): RootVerdict {
  const verdict: RootVerdict = { upToDate: false, clean: new Set(), refreshed: [], changed: [] };
  const summary = store.summary;
  if (summary === undefined) return verdict;
  const strings = store.strings;
  const run = store.lastRun + 1;
  const start = store.indexOf(rootId);
  if (start < 0 || summary.kind[start] !== NODE) return verdict;
  // Post-order over the nodes under the root; leaves checked once each.
  const order: number[] = [];
  const state = new Int8Array(summary.kind.length); // 0 unseen, 1 entered, 2 done
  const leafChanged = new Map<number, boolean>();
  const stack: number[] = [start];
  const next: number[] = [0];
  state[start] = 1;
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top];
    const deps = summary.deps[node]!;
    if (next[top] < deps.length) {
      const dep = deps[next[top]++];
      const kind = summary.kind[dep];
      if (kind === NODE) {
        if (state[dep] === 0) {
          state[dep] = 1;
          stack.push(dep);
          next.push(0);
        }
      } else if (kind >= 0 && !leafChanged.has(dep)) {
        leafChanged.set(dep, leafMoved(summary, strings, dep, root, run, verdict));
      }
      continue;
    }
    stack.pop();
    next.pop();
    state[node] = 2;
    order.push(node);
  }
  const dirty = new Uint8Array(summary.kind.length);
  for (const node of order) {
    let bad = summary.failed(node);
    const builtAt = summary.builtAt[node];
    for (const dep of summary.deps[node]!) {
      if (bad) break;
      const kind = summary.kind[dep];
      if (kind < 0) bad = true;
      else if (kind === NODE) bad = dirty[dep] === 1 || state[dep] !== 2;
      else bad = leafChanged.get(dep) === true;
      if (!bad && summary.changedAt[dep] > builtAt) bad = true;
    }
    if (bad) dirty[node] = 1;
    else verdict.clean.add(strings[node]);
  }
  verdict.upToDate = dirty[start] === 0;
  return verdict;
}

/**
 * Checks one leaf: true when its value changed (or cannot be checked here).
 * A file whose stat fields moved but content did not gets a record in
 * `verdict.refreshed`.
 */
function leafMoved(
  summary: Summary,
  strings: readonly string[],
  i: number,
  root: string,
  run: number,
  verdict: RootVerdict,
): boolean {
  const id = strings[i];
  const kind = summary.kind[i];
  if (kind === FILE) {
    const path = absolute(root, id.slice(2));
    const digest = summary.digest[i]!;
    if (
      summary.trusted(i) && digest !== "-" && digest !== "/" && digest !== "" &&
      statUnchanged(path, summary.mtime[i], summary.size[i], summary.ino[i], summary.ctime[i])
    ) return false;
    const leaf = FileLeaf.withState(path, [
      digest,
      summary.mtime[i],
      summary.size[i],
      summary.ino[i],
      summary.ctime[i],
      summary.trusted(i) ? 1 : 0,
    ]);
    if (!leaf.refresh(run)) return false;
    if (leaf.changedAt === run) {
      verdict.changed.push(leaf.describe());
      return true;
    }
    verdict.refreshed.push({
      t: "f",
      id,
      ix: i,
      g: leaf.digest,
      m: leaf.mtime,
      s: leaf.size,
      n: leaf.ino,
      x: leaf.ctime,
      w: leaf.trusted ? 1 : 0,
      c: summary.changedAt[i],
    });
    return false;
  }
  const record = summary.other[i]!;
  if (kind === LISTING) {
    const leaf = new ListingLeaf(
      id,
      absolute(root, record[2] as string),
      record[3] as string | null,
      record[4] as string[],
    );
    leaf.digest = record[5] as string;
    if (!leaf.refresh(run)) return false;
    verdict.changed.push(leaf.describe());
    return true;
  }
  if (kind === ENV) {
    const leaf = new EnvLeaf(id, record[2] as string);
    leaf.value = record[3] as string | null;
    if (!leaf.refresh(run)) return false;
    verdict.changed.push(leaf.describe());
    return true;
  }
  // A var or an input: only the process that sets it knows its value.
  verdict.changed.push(id);
  return true;
}

function absolute(root: string, stored: string): string {
  return stored.startsWith("/") ? stored : resolvePath(root, stored);
}
