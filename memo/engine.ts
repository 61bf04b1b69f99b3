/**
 * The engine: the cache of nodes and leaves, the run counter, invalidation,
 * statistics, and the store that makes results survive the process.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { Frame, frameStorage } from "./context.ts";
import { emptyStats, type MemoDefinition, type MemoStats } from "./definition.ts";
import { isJsonData } from "./json.ts";
import { EnvLeaf } from "./leaves/env.ts";
import { FileLeaf } from "./leaves/file.ts";
import { InputLeaf } from "./leaves/input.ts";
import { ListingLeaf } from "./leaves/listing.ts";
import { VarLeaf } from "./leaves/var.ts";
import { type Cell, type DepRef, Leaf, MemoNode } from "./node.ts";
import { definitionNamed, definitionsGeneration } from "./registry.ts";
import { Store, type StoreRecord } from "./persist/store.ts";
import { type Var, varGeneration, varNamed } from "./var.ts";

/** Options of an {@linkcode Engine}. */
export interface EngineOptions {
  /**
   * Directory of the persistent store; results are kept in memory only when
   * absent.
   * @default undefined
   */
  dir?: string;
  /**
   * Directory that relative paths of tracked reads are resolved against. The
   * store records the paths under it relative to it, so a store moved or
   * copied along with its root checks the files of the new place.
   * @default Deno.cwd()
   */
  root?: string;
  /**
   * Load the store but never write it (for dry runs): nothing on disk changes.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Receives one-line warnings, such as a damaged store being discarded.
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** A body about to execute, as told to {@linkcode Engine.onExecute}. */
export interface ExecutionInfo {
  /** The memo function's name. */
  name: string;
  /** The input it is called with. */
  input: unknown;
  /** Why it executes: `new`, `code changed`, or what changed. */
  reason: string;
  /** The file whose change made it execute, when that is the reason. */
  changedFile?: string;
  /** The memo call whose new value made it execute, when that is the reason. */
  changedCall?: { name: string; input: unknown };
  /** The named input (see `Engine#setInput`) whose change made it execute. */
  changedInput?: string;
}

/**
 * Owns memo caches and the store. A computation runs in one engine
 * (`engine.run(fn)`); calls made outside any engine use a default in-memory
 * engine.
 *
 * @example Caching and early cutoff
 * ```ts
 * import { Engine, memo, Var } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const word = new Var("docWord", "hello");
 * const len = memo("docLen", () => word.get().length);
 * const stars = memo("docStars", async () => "*".repeat(await len(null)));
 * const engine = new Engine();
 * assert.equal(await engine.run(() => stars(null)), "*****");
 * word.set("world"); // same length: `stars` is not executed again
 * assert.equal(await engine.run(() => stars(null)), "*****");
 * assert.equal(engine.stats().get("docStars")?.executed, 1);
 * ```
 */
export class Engine {
  /** Directory relative paths are resolved against. */
  readonly root: string;
  /** Called before a body executes, with the call and why it executes. */
  onExecute: ((call: ExecutionInfo) => void) | undefined = undefined;
  #cells = new Map<string, Cell>();
  #listings = new Set<ListingLeaf>();
  #files = new Map<string, FileLeaf>();
  #dirty = new Set<Cell>();
  #stats = new Map<string, MemoStats>();
  #reasons = new Map<string, string>();
  #store: Store | undefined;
  #run: number;
  #epoch = 0;
  #seenVarGeneration = varGeneration();
  #seenDefinitions = definitionsGeneration();
  #warn: (message: string) => void;
  #trusted: ReadonlySet<string> | undefined;
  #trustedRun = -1;
  #reshaped = false;

  /**
   * Creates an engine, loading its store when `dir` is given.
   * @param options Options.
   */
  constructor(options: EngineOptions = {}) {
    this.root = resolve(options.root ?? Deno.cwd());
    this.#warn = options.onWarning ?? ((m) => console.warn(m));
    if (options.dir !== undefined) {
      const dir = resolve(this.root, options.dir);
      this.#store = new Store(dir, this.#warn, options.readOnly);
    }
    this.#run = (this.#store?.lastRun ?? 0) + 1;
  }

  /**
   * Runs `fn` with this engine as the current one: memo calls inside it use
   * this engine's caches.
   * @param fn The computation.
   * @returns What `fn` returns.
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    return frameStorage.run(new Frame(this, undefined), async () => await fn());
  }

  /**
   * The current run number; a new run begins after any invalidation, var
   * set or redefinition of memo functions.
   * @returns The run number.
   */
  currentRun(): number {
    const g = varGeneration();
    const d = definitionsGeneration();
    if (g !== this.#seenVarGeneration || d !== this.#seenDefinitions) {
      this.#seenVarGeneration = g;
      this.#seenDefinitions = d;
      this.#run++;
    }
    return this.#run;
  }

  /**
   * Marks paths as changed: files, directories and the listings and globs
   * that cover them are re-checked on the next evaluation. This is what a
   * watcher calls.
   * @param paths Changed paths, absolute or relative to `root`.
   * @param reason Why, kept for explanations.
   */
  invalidatePaths(paths: Iterable<string>, reason = "file changed"): void {
    for (const p of paths) {
      const path = resolve(this.root, p);
      const file = this.#files.get(path);
      if (file !== undefined) {
        file.checkedEpoch = -1;
        this.#reasons.set(file.id, `${path}: ${reason}`);
      }
      // Unless it was a plain file, the path may be a directory whose whole
      // content changed at once (a rename or a checkout is one event).
      const prefix = path + "/";
      if (file === undefined || !file.exists) {
        for (const [filePath, leaf] of this.#files) {
          if (filePath.startsWith(prefix)) leaf.checkedEpoch = -1;
        }
      }
      for (const listing of this.#listings) {
        if (listing.covers(path)) listing.checkedEpoch = -1;
      }
    }
    this.#run++;
  }

  /**
   * Sets a named input, such as the digest of a rule's definition. What read
   * it with {@linkcode readInput} is re-checked when the value differs from
   * the one it saw, in this process or (with a store) an earlier one.
   * @param key The input's name.
   * @param value Its value.
   * @param reason Why it changed, kept for explanations.
   */
  setInput(key: string, value: string, reason = `${key} changed`): void {
    const leaf = this.inputLeaf(key);
    if (leaf.value === value) return;
    leaf.value = value;
    leaf.changedAt = ++this.#run;
    this.#dirty.add(leaf);
    this.#reasons.set(leaf.id, reason);
  }

  /**
   * Vouches for stored results in the current run: a node loaded from the
   * store whose id is in `ids` counts as up to date without its dependencies
   * being checked. For a caller that knows from its own record of an earlier
   * run's graph, and a check of every file in it, that nothing these nodes
   * depend on changed since (see rules/run/up_to_date.ts). The trust ends when a
   * new run begins; {@linkcode Engine.sameGraphSinceTrust} tells afterwards
   * whether the graph kept its shape.
   * @param ids Ids of the nodes vouched for.
   */
  trustUnchanged(ids: ReadonlySet<string>): void {
    this.#trusted = ids;
    this.#trustedRun = this.currentRun();
    this.#reshaped = false;
  }

  /**
   * Whether, since {@linkcode Engine.trustUnchanged} was called, every body
   * that executed had executed before and read the same dependencies again,
   * in the same order: the graph has the shape it had.
   * @returns False also when no trust was given.
   */
  sameGraphSinceTrust(): boolean {
    return this.#trusted !== undefined && !this.#reshaped;
  }

  /**
   * @internal The file leaves checked since the last invalidation (in a build, the
   * files it read or wrote), with the state it saw.
   * @returns The leaves.
   */
  checkedFiles(): FileLeaf[] {
    const files: FileLeaf[] = [];
    for (const leaf of this.#files.values()) {
      if (leaf.checkedEpoch === this.#epoch) files.push(leaf);
    }
    return files;
  }

  /**
   * Forgets every check of files, listings and environment variables: the
   * next evaluation re-checks all of them (as after lost file events). Memo
   * results whose inputs turn out unchanged stay valid.
   * @param reason Why, kept for explanations.
   */
  invalidateAll(reason = "all inputs invalidated"): void {
    this.#epoch++;
    this.#run++;
    this.#reasons.set("*", reason);
  }

  /**
   * Counters per memo function name.
   * @returns A map from name to counters (live objects).
   */
  stats(): Map<string, MemoStats> {
    return this.#stats;
  }

  /** Sets every counter back to zero. */
  resetStats(): void {
    for (const s of this.#stats.values()) {
      s.executed =
        s.reused =
        s.revalidated =
        s.cutoff =
          0;
    }
  }

  /** @internal Says in words why a node's body last executed. */
  explain(node: MemoNode): string {
    const reason = node.reason;
    if (reason === "new" || reason === "code changed") return reason;
    const cell = this.#cells.get(reason);
    const what = cell instanceof Leaf
      ? cell.describe()
      : cell instanceof MemoNode
      ? cell.frame().label
      : reason;
    const detail = this.#reasons.get(reason);
    return detail !== undefined ? `${what} changed (${detail})` : `${what} changed`;
  }

  /**
   * Writes what changed since the last flush to the store, if there is one.
   */
  flush(): void {
    const store = this.#store;
    if (store === undefined) return;
    const records: StoreRecord[] = [];
    for (const cell of this.#dirty) {
      const rec = recordOf(cell, store.strings, this.#storedDir);
      if (rec !== undefined) records.push(rec);
      else if (store.mayHold(cell.id)) records.push({ t: "x", id: cell.id });
    }
    this.#dirty.clear();
    store.append(this.#run, records);
    if (store.wantsCompaction) {
      const all: StoreRecord[] = store.untaken();
      for (const cell of this.#cells.values()) {
        const rec = recordOf(cell, store.strings, this.#storedDir);
        if (rec !== undefined) all.push(rec);
      }
      store.compact(this.#run, all);
    }
  }

  /** Flushes and releases the store. */
  close(): void {
    this.flush();
    this.#store?.close();
    this.#store = undefined;
  }

  // ---- used by the rest of memo/ ----

  /** @internal The node for a function and input, loaded or created. */
  memoNode(def: MemoDefinition, input: unknown): MemoNode {
    const id = def.name + "\u0000" + def.key(input);
    const cell = this.#cells.get(id) ?? this.#load(id);
    if (cell !== undefined) return cell as MemoNode;
    // A handle kept from before a redefinition runs the current definition.
    const current = definitionNamed(def.name) ?? def;
    const node = new MemoNode(
      id,
      current,
      input,
      this.#statsFor(def.name),
      definitionsGeneration(),
    );
    this.#cells.set(id, node);
    return node;
  }

  /** @internal Whether a node counts as up to date in `run` on the word of {@linkcode Engine.trustUnchanged}. */
  isTrusted(node: MemoNode, run: number): boolean {
    return run === this.#trustedRun && this.#trusted!.has(node.id);
  }

  /** @internal Resolves the i-th dependency, loading it from the store if needed. */
  resolveDep(deps: DepRef[], i: number): Cell | undefined {
    const ref = deps[i];
    if (typeof ref === "object") return ref;
    let cell: Cell | undefined;
    if (typeof ref === "number") {
      const id = this.#store!.strings[ref];
      cell = this.#cells.get(id) ?? this.#install(id, this.#store!.takeAt(ref));
    } else cell = this.#cells.get(ref) ?? this.#load(ref);
    if (cell !== undefined) deps[i] = cell;
    return cell;
  }

  /** @internal The id a dependency refers to. */
  refId(ref: DepRef): string {
    if (typeof ref === "object") return ref.id;
    return typeof ref === "number" ? this.#store!.strings[ref] : ref;
  }

  /** @internal Brings a leaf up to date for the current epoch. */
  checkLeaf(leaf: Leaf): void {
    if (leaf.checkedEpoch === this.#epoch && !(leaf instanceof VarLeaf)) return;
    const run = this.currentRun();
    const changed = (leaf as FileLeaf | ListingLeaf | EnvLeaf | VarLeaf).refresh(run);
    if (changed && this.#store !== undefined) this.#dirty.add(leaf);
    leaf.checkedEpoch = this.#epoch;
  }

  /** @internal The file leaf of an absolute path. */
  fileLeaf(path: string): FileLeaf {
    const known = this.#files.get(path);
    if (known !== undefined) return known;
    const id = "f\u0000" + this.#stored(path);
    return this.#leaf(id, () => new FileLeaf(id, path));
  }

  /** @internal The listing leaf of a directory, or of a glob under it. */
  listingLeaf(dir: string, pattern: string | null, skip: readonly string[] = []): ListingLeaf {
    const id = "l\u0000" + this.#stored(dir) + "\u0000" + (pattern ?? "") + "\u0000" +
      skip.join(",");
    return this.#leaf(id, () => new ListingLeaf(id, dir, pattern, skip));
  }

  /** @internal The leaf of an environment variable. */
  envLeaf(name: string): EnvLeaf {
    const id = "e\u0000" + name;
    return this.#leaf(id, () => new EnvLeaf(id, name));
  }

  /** @internal The leaf of a named input. */
  inputLeaf(key: string): InputLeaf {
    const id = "i\u0000" + key;
    return this.#leaf(id, () => new InputLeaf(id, key));
  }

  /** @internal Re-checks a file now, whatever this epoch saw of it. */
  recheckFile(leaf: FileLeaf): void {
    // A stat taken ahead would predate the write: look again.
    if (leaf.refresh(this.currentRun(), true) && this.#store !== undefined) this.#dirty.add(leaf);
    leaf.checkedEpoch = this.#epoch;
  }

  /** @internal Records that the running body read a var. */
  readVar(variable: Var<unknown>, frame: Frame): void {
    const id = "v\u0000" + variable.name;
    const leaf = this.#leaf(id, () => new VarLeaf(id, variable.name));
    if (leaf.variable !== variable) {
      leaf.variable = variable;
      leaf.seenVersion = -1;
    }
    this.checkLeaf(leaf);
    this.#reasons.set(id, variable.reason);
    frame.addDep(leaf);
  }

  /** @internal Called when a body is about to execute. */
  willExecute(node: MemoNode): void {
    const info: ExecutionInfo = {
      name: node.def.name,
      input: node.input,
      reason: this.explain(node),
    };
    const cell = this.#cells.get(node.reason);
    if (cell instanceof FileLeaf) info.changedFile = cell.path;
    if (cell instanceof MemoNode) info.changedCall = { name: cell.def.name, input: cell.input };
    if (cell instanceof InputLeaf) info.changedInput = cell.key;
    this.onExecute?.(info);
  }

  /**
   * Whether a path matters to what this engine computed: a file some
   * computation read, or a directory entry some listing or glob covers.
   * @param path An absolute path.
   * @param exclude Files that do not count, such as the build's own outputs.
   * @returns True when invalidating it may change a result.
   */
  tracks(path: string, exclude?: (file: string) => boolean): boolean {
    if (this.#files.has(path)) return exclude?.(path) !== true;
    for (const listing of this.#listings) if (listing.covers(path)) return true;
    const prefix = path + "/";
    for (const file of this.#files.keys()) {
      if (file.startsWith(prefix) && exclude?.(file) !== true) return true;
    }
    return false;
  }

  /**
   * The dependencies a memo call recorded in its last execution, as ids:
   * `name(input)` labels for memo calls, paths for files.
   * @param name The memo function's name.
   * @param key The call's key (canonical JSON of the input by default).
   * @returns The dependencies, or undefined when the call is unknown.
   */
  recordedDeps(name: string, key: string): string[] | undefined {
    const id = name + "\u0000" + key;
    const cell = this.#cells.get(id) ?? this.#load(id);
    if (!(cell instanceof MemoNode) || !cell.hasResult) return undefined;
    return cell.deps.map((_, i) => {
      const dep = this.resolveDep(cell.deps, i);
      if (dep === undefined) return this.refId(cell.deps[i]);
      if (dep instanceof MemoNode) return `${dep.def.name}\u0000${dep.def.key(dep.input)}`;
      if (dep instanceof FileLeaf) return dep.path;
      return dep.id;
    });
  }

  /**
   * @internal The graph a computation depends on, as the last executions of
   * its memo calls recorded it: what must stay unchanged for its outcome to
   * hold.
   * @param roots What the computation read at top level (its frame's deps).
   * @returns The leaves reached; the memo nodes reached, each after the nodes
   * it depends on; and each node's dependencies, nodes by their index in
   * `nodes`. Undefined when a node reached has no outcome or an unknown
   * dependency.
   */
  graphUnder(roots: readonly Cell[]): DependencyGraph | undefined {
    const graph: DependencyGraph = { leaves: [], nodes: [], deps: [] };
    const leaves = new Set<Leaf>();
    const index = new Map<MemoNode, number>();
    const entered = new Set<MemoNode>();
    const stack: { node: MemoNode; next: number }[] = [];
    /** Notes a cell reached: a leaf is listed, a node not seen yet descended into. */
    const reach = (cell: Cell): void => {
      if (cell instanceof Leaf) {
        if (!leaves.has(cell)) {
          leaves.add(cell);
          graph.leaves.push(cell);
        }
      } else if (!entered.has(cell as MemoNode)) {
        entered.add(cell as MemoNode);
        stack.push({ node: cell as MemoNode, next: 0 });
      }
    };
    for (const root of roots) {
      reach(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const node = top.node;
        if (!node.hasResult || node.error !== undefined) return undefined;
        if (top.next < node.deps.length) {
          const dep = this.resolveDep(node.deps, top.next++);
          if (dep === undefined) return undefined;
          reach(dep);
          continue;
        }
        stack.pop();
        index.set(node, graph.nodes.length);
        graph.nodes.push(node);
        // A dependency still on the stack would close a cycle, which no
        // successful build has: such an edge is left out.
        const deps: (number | Leaf)[] = [];
        for (const dep of node.deps as Cell[]) {
          if (dep instanceof Leaf) deps.push(dep);
          else if (index.has(dep as MemoNode)) deps.push(index.get(dep as MemoNode)!);
        }
        graph.deps.push(deps);
      }
    }
    return graph;
  }

  /**
   * @internal Called when a body has executed.
   * @param node The node.
   * @param previous Its dependencies before, undefined when it had no result.
   */
  nodeExecuted(node: MemoNode, previous: readonly DepRef[] | undefined): void {
    if (this.#store !== undefined) this.#dirty.add(node);
    if (this.#trusted !== undefined && !this.#reshaped) {
      this.#reshaped = previous === undefined || previous.length !== node.deps.length ||
        previous.some((ref, i) => this.refId(ref) !== (node.deps[i] as Cell).id);
    }
  }

  #storedDir = (path: string): string => this.#stored(path);

  /** A path as cells and records name it: relative to the root when under it. */
  #stored(path: string): string {
    const root = this.root;
    if (path === root) return ".";
    return path.startsWith(root) && path[root.length] === "/" && root !== "/"
      ? path.slice(root.length + 1)
      : path;
  }

  /** The absolute path a stored one names. */
  #absolute(stored: string): string {
    return isAbsolute(stored) ? stored : resolve(this.root, stored);
  }

  #statsFor(name: string): MemoStats {
    let s = this.#stats.get(name);
    if (s === undefined) this.#stats.set(name, s = emptyStats());
    return s;
  }

  #load(id: string): Cell | undefined {
    return this.#install(id, this.#store?.take(id));
  }

  #install(id: string, raw: readonly unknown[] | undefined): Cell | undefined {
    if (raw === undefined) return undefined;
    const cell = this.#fromRecord(id, raw, this.#store!.strings);
    if (cell === undefined) return undefined;
    cell.storeIndex = raw[1] as number;
    return this.#register(id, cell);
  }

  /** The leaf with this id: already known, loaded from the store, or made anew. */
  #leaf<T extends Leaf>(id: string, make: () => T): T {
    return (this.#cells.get(id) ?? this.#load(id) ?? this.#register(id, make())) as T;
  }

  /** Makes a cell known by id (and files by path, listings for invalidation). */
  #register<T extends Cell>(id: string, cell: T): T {
    this.#cells.set(id, cell);
    if (cell instanceof FileLeaf) this.#files.set(cell.path, cell);
    if (cell instanceof ListingLeaf) this.#listings.add(cell);
    return cell;
  }

  /** Builds a cell from its stored record (layout in persist/store.ts). */
  #fromRecord(id: string, r: readonly unknown[], strings: readonly string[]): Cell | undefined {
    switch (r[0]) {
      case 0: {
        const def = definitionNamed(strings[r[2] as number]);
        if (def === undefined || def.code !== strings[r[3] as number] || def.persist === false) {
          return undefined;
        }
        const node = new MemoNode(id, def, r[4], this.#statsFor(def.name), definitionsGeneration());
        try {
          node.value = def.persist.decode(r[5]);
        } catch {
          return undefined;
        }
        node.hasResult = true;
        node.deps = r[6] as number[];
        node.builtAt = r[7] as number;
        node.changedAt = r[8] as number;
        return node;
      }
      case 1: {
        const leaf = FileLeaf.withState(this.#absolute(id.slice(2)), r, 2, id);
        leaf.changedAt = r[8] as number;
        return leaf;
      }
      case 2: {
        const dir = this.#absolute(r[2] as string);
        const leaf = new ListingLeaf(id, dir, r[3] as string | null, r[4] as string[]);
        leaf.digest = r[5] as string;
        leaf.changedAt = r[6] as number;
        return leaf;
      }
      case 3: {
        const leaf = new EnvLeaf(id, r[2] as string);
        leaf.value = r[3] as string | null;
        leaf.changedAt = r[4] as number;
        return leaf;
      }
      case 4: {
        const leaf = new VarLeaf(id, r[2] as string);
        leaf.variable = varNamed(r[2] as string);
        leaf.digest = r[3] as string;
        leaf.changedAt = r[4] as number;
        return leaf;
      }
      case 5: {
        const leaf = new InputLeaf(id, id.slice(2));
        leaf.value = r[2] as string;
        leaf.changedAt = r[3] as number;
        return leaf;
      }
    }
    return undefined;
  }
}

function recordOf(
  cell: Cell,
  strings: readonly string[],
  stored: (path: string) => string,
): StoreRecord | undefined {
  if (cell instanceof MemoNode) {
    const def = cell.def;
    if (def.persist === false || !cell.hasResult || cell.error !== undefined) return undefined;
    if (!isJsonData(cell.input)) return undefined;
    let v: unknown;
    try {
      v = def.persist.encode(cell.value);
    } catch {
      return undefined;
    }
    if (!isJsonData(v)) return undefined;
    const d = cell.deps.map((dep) =>
      typeof dep === "object" ? dep.id : typeof dep === "number" ? strings[dep] : dep
    );
    const dx = cell.deps.map((dep) =>
      typeof dep === "object" ? dep.storeIndex : typeof dep === "number" ? dep : -1
    );
    return {
      t: "m",
      id: cell.id,
      ix: cell.storeIndex,
      dx,
      n: def.name,
      h: def.code,
      i: cell.input,
      v,
      d,
      b: cell.builtAt,
      c: cell.changedAt,
    };
  }
  if (cell instanceof FileLeaf) {
    return {
      t: "f",
      id: cell.id,
      ix: cell.storeIndex,
      p: cell.path,
      g: cell.digest,
      m: cell.mtime,
      s: cell.size,
      n: cell.ino,
      x: cell.ctime,
      w: cell.trusted ? 1 : 0,
      c: cell.changedAt,
    };
  }
  if (cell instanceof ListingLeaf) {
    return {
      t: "l",
      id: cell.id,
      ix: cell.storeIndex,
      p: stored(cell.dir),
      q: cell.pattern,
      k: [...cell.skip],
      g: cell.digest,
      c: cell.changedAt,
    };
  }
  if (cell instanceof EnvLeaf) {
    return {
      t: "e",
      id: cell.id,
      ix: cell.storeIndex,
      k: cell.name,
      g: cell.value,
      c: cell.changedAt,
    };
  }
  if (cell instanceof InputLeaf) {
    return {
      t: "i",
      id: cell.id,
      ix: cell.storeIndex,
      k: cell.key,
      g: cell.value,
      c: cell.changedAt,
    };
  }
  if (cell instanceof VarLeaf) {
    return {
      t: "v",
      id: cell.id,
      ix: cell.storeIndex,
      k: cell.name,
      g: cell.digest,
      c: cell.changedAt,
    };
  }
  return undefined;
}

/** What {@linkcode Engine.graphUnder} returns. */
export interface DependencyGraph {
  /** The leaves reached, each once. */
  leaves: Leaf[];
  /** The memo nodes reached, each after every node it depends on. */
  nodes: MemoNode[];
  /** Per node, its dependencies: leaves, and nodes by index in `nodes`. */
  deps: (number | Leaf)[][];
}

let fallback: Engine | undefined;

/**
 * Returns the engine that memo calls outside any `engine.run` use: one
 * in-memory engine per process.
 * @returns The default engine.
 */
export function defaultEngine(): Engine {
  return fallback ??= new Engine();
}
