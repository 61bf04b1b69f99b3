/**
 * The engine: the cache of nodes and leaves, the run counter, invalidation,
 * statistics, and the store that makes results survive the process.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { Frame, frameStorage } from "./context.ts";
import { emptyStats, type MemoDefinition, type MemoStats } from "./definition.ts";
import { verifyAhead as verifyNodeAhead } from "./exec.ts";
import { isJsonData } from "./json.ts";
import { EnvLeaf } from "./leaves/env.ts";
import { FileLeaf } from "./leaves/file.ts";
import { InputLeaf } from "./leaves/input.ts";
import { ListingLeaf } from "./leaves/listing.ts";
import { VarLeaf } from "./leaves/var.ts";
import { type Cell, type DepRef, Leaf, MemoNode, type Success } from "./node.ts";
import { definitionNamed, definitionsGeneration } from "./registry.ts";
import { Store, type StoreRecord } from "./persist/store.ts";
import { statPath } from "./stat/stat.ts";
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
   * A store already open (for example to check a root with
   * {@linkcode verifyRoot} first), used instead of opening one in `dir`;
   * the engine closes it.
   * @default undefined
   */
  store?: Store;
  /**
   * Which nodes the store's checkpoints index as roots (see
   * {@linkcode StoreOptions.roots}), for a store opened in `dir`.
   * @default none
   */
  roots?: (id: string) => boolean;
  /**
   * See {@linkcode StoreOptions.checkpointAfter}, for a store opened in `dir`.
   * @default 65536
   */
  checkpointAfter?: number;
  /**
   * Receives one-line warnings, such as a damaged store being discarded.
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** Nodes vouched for by the places of their ids in the store's table (see `Engine#trustUnchanged`). */
export interface TrustedPlaces {
  /** Whether the node whose id is at this place of the table is vouched for. */
  isClean(index: number): boolean;
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
  #trusted: ReadonlySet<string> | TrustedPlaces | undefined;
  /** Roots verified since the last flush (see {@linkcode Engine.markVerified}). */
  #verified = new Set<string>();
  /** What {@linkcode Engine.invalidateUnwatched} found, and how many files and listings it looked at. */
  #unwatched:
    | {
      watches: (path: string) => boolean;
      filesSeen: number;
      listingsSeen: number;
      files: FileLeaf[];
      listings: ListingLeaf[];
    }
    | undefined;

  /**
   * Creates an engine, loading its store when `dir` is given.
   * @param options Options.
   */
  constructor(options: EngineOptions = {}) {
    this.root = resolve(options.root ?? Deno.cwd());
    this.#warn = options.onWarning ?? ((m) => console.warn(m));
    if (options.store !== undefined) this.#store = options.store;
    else if (options.dir !== undefined) {
      const dir = resolve(this.root, options.dir);
      this.#store = new Store(dir, this.#warn, {
        readOnly: options.readOnly,
        roots: options.roots,
        checkpointAfter: options.checkpointAfter,
      });
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
      // What was checked no longer is what runs: take nothing on trust.
      this.#trusted = undefined;
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
    this.#trusted = undefined;
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
   * Marks environment variables as changed: what read them is re-checked on
   * the next evaluation. For a process that builds with the environments of
   * other processes (a build server): nothing else tells it that one changed.
   * @param names The variables whose values may differ from the last build's.
   * @param reason Why, kept for explanations.
   */
  invalidateEnv(names: Iterable<string>, reason = "changed"): void {
    let found = false;
    for (const name of names) {
      const leaf = this.#cells.get("e\u0000" + name);
      if (!(leaf instanceof EnvLeaf)) continue;
      leaf.checkedEpoch = -1;
      this.#reasons.set(leaf.id, reason);
      found = true;
    }
    if (!found) return;
    this.#trusted = undefined;
    this.#run++;
  }

  /**
   * Checks what a watcher does not report: files whose stat fields moved
   * since they were checked, and every listing, are marked for checking on
   * the next evaluation, as after {@linkcode Engine.invalidatePaths}. For a
   * process that learns of changes from a watcher: whatever lies outside
   * what it watches (barchan's and build.ts's modules, files outside the
   * project, ignored directories) is then looked at on each build, as a
   * build of its own would. Which files and listings those are is worked out
   * once for each, on the first call with the same `watches` after it was
   * added.
   * @param watches Whether the watcher reports changes to an absolute path.
   * @param reason Why, kept for explanations.
   * @returns How many files and listings were marked.
   */
  invalidateUnwatched(watches: (path: string) => boolean, reason = "not watched"): number {
    const unwatched = this.#unwatchedBy(watches);
    let marked = 0;
    for (const leaf of unwatched.files) {
      if (leaf.checkedEpoch === -1 || !fileMoved(leaf)) continue;
      leaf.checkedEpoch = -1;
      this.#reasons.set(leaf.id, `${leaf.path}: ${reason}`);
      marked++;
    }
    for (const listing of unwatched.listings) {
      listing.checkedEpoch = -1;
      marked++;
    }
    if (marked === 0) return 0;
    this.#trusted = undefined;
    this.#run++;
    return marked;
  }

  /**
   * Works out, for the files and listings added since the last call with
   * the same `watches`, which ones a watcher does not see (see
   * {@linkcode Engine.invalidateUnwatched}), checking none: for a process
   * that would rather pay for it after a build than before the next.
   * @param watches Whether the watcher reports changes to an absolute path.
   */
  classifyUnwatched(watches: (path: string) => boolean): void {
    this.#unwatchedBy(watches);
  }

  /** The files and listings `watches` does not see, worked out for those added since last time. */
  #unwatchedBy(watches: (path: string) => boolean) {
    let unwatched = this.#unwatched;
    if (unwatched === undefined || unwatched.watches !== watches) {
      unwatched = this.#unwatched = {
        watches,
        filesSeen: 0,
        listingsSeen: 0,
        files: [],
        listings: [],
      };
    }
    // Files and listings are only ever added, in order: only the new ones are looked at.
    if (unwatched.filesSeen < this.#files.size) {
      let i = 0;
      for (const [path, leaf] of this.#files) {
        if (i++ >= unwatched.filesSeen && !watches(path)) unwatched.files.push(leaf);
      }
      unwatched.filesSeen = this.#files.size;
    }
    if (unwatched.listingsSeen < this.#listings.size) {
      let i = 0;
      for (const listing of this.#listings) {
        if (i++ >= unwatched.listingsSeen && !watches(listing.dir)) {
          unwatched.listings.push(listing);
        }
      }
      unwatched.listingsSeen = this.#listings.size;
    }
    return unwatched;
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
    this.#trusted = undefined;
    leaf.value = value;
    leaf.changedAt = ++this.#run;
    this.#dirty.add(leaf);
    this.#reasons.set(leaf.id, reason);
  }

  /**
   * Vouches for stored results: a node whose id is in `ids` counts as up to
   * date without its dependencies being checked, unless its function's code
   * changed. For a caller that checked, from the store's summary, every leaf
   * under these nodes (see {@linkcode verifyRoot}). The trust ends at the
   * next invalidation, set input, set var or redefinition of a memo
   * function: whatever changes then is not what was checked.
   * @param ids Ids of the nodes vouched for, or (cheaper) the places of
   * their ids in the store's table, as {@linkcode verifyRoot} gives them.
   */
  trustUnchanged(ids: ReadonlySet<string> | TrustedPlaces): void {
    this.#trusted = ids;
  }

  /**
   * Whether nodes are taken as up to date on the word of
   * {@linkcode Engine.trustUnchanged}: their dependencies may not be loaded,
   * so that {@linkcode Engine.tracks} does not know of them. A watcher must
   * then invalidate every path it reports.
   * @returns True until the trust ends.
   */
  get trusting(): boolean {
    return this.#trusted !== undefined;
  }

  /**
   * Forgets every check of files, listings and environment variables: the
   * next evaluation re-checks all of them (as after lost file events). Memo
   * results whose inputs turn out unchanged stay valid.
   * @param reason Why, kept for explanations.
   */
  invalidateAll(reason = "all inputs invalidated"): void {
    this.#trusted = undefined;
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
   * Verifies ahead of a build, without executing anything, what can be
   * verified under a node: every node under it
   * whose dependencies are unchanged is verified for the current run, so
   * that the build, when it comes, walks only what changed. For a process
   * that learns of changes before a build is asked for (a build server).
   * Nodes that are not known yet are loaded from the store; those of memo
   * functions not defined in this process are left unverified.
   * @param id The node's id (a request's root).
   * @returns True when the node itself is verified: a build of it would run nothing.
   */
  verifyAhead(id: string): boolean {
    const node = this.#cells.get(id) ?? this.#load(id);
    if (!(node instanceof MemoNode)) return false;
    return verifyNodeAhead(this, node, this.currentRun(), 0, new Set());
  }

  /**
   * Marks in the store that a root was verified in the current run, with
   * nothing under it failing: a later check of that root may then take
   * what the store's checkpoint says of it, even after records written
   * since (see persist/checkpoint.ts). Written with the next flush.
   * @param id The root node's id.
   */
  markVerified(id: string): void {
    this.#verified.add(id);
  }

  /**
   * Writes what changed since the last flush to the store, if there is one.
   *
   * @example
   * ```ts
   * import { Engine } from "@barchan/barchan/memo";
   *
   * new Engine().flush(); // no store: nothing to write
   * ```
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
    for (const root of this.#verified) records.push({ t: "r", id: `r\u0000${root}`, root });
    this.#verified.clear();
    store.append(this.#run, records);
    if (store.wantsCompaction) this.#compact(store);
  }

  /**
   * Hashes again the files this epoch checked whose digest their stat
   * fields could not vouch for (written within a clock tick of their check,
   * as a build's outputs are): most are old enough by now, and then the next
   * process trusts their stat fields instead of hashing them again. A file
   * whose content changed meanwhile is recorded as changed.
   */
  #settleRecentFiles(): void {
    if (this.#store === undefined) return;
    const run = this.currentRun();
    for (const leaf of this.#files.values()) {
      if (leaf.checkedEpoch !== this.#epoch || leaf.trusted || !leaf.exists) continue;
      if (leaf.refresh(run)) this.#dirty.add(leaf);
    }
  }

  /** Rewrites the store with every live record: those not taken, and every cell's. */
  #compact(store: Store): void {
    const all: StoreRecord[] = store.untaken();
    for (const cell of this.#cells.values()) {
      const rec = recordOf(cell, store.strings, this.#storedDir);
      if (rec !== undefined) all.push(rec);
    }
    store.compact(this.#run, all);
  }

  /**
   * Flushes, then writes the store's checkpoint when it is due (see
   * persist/store.ts), compacting the store when it has no summary to write
   * one from. Called at the end of a build: the next process can then check
   * what a request depends on from the checkpoint alone.
   */
  checkpoint(): void {
    this.#settleRecentFiles();
    this.flush();
    const store = this.#store;
    if (store === undefined) return;
    if (store.lacksSummary) this.#compact(store);
    else if (store.wantsCheckpoint) store.checkpoint(this.#run);
  }

  /** Flushes and releases the store. */
  close(): void {
    this.flush();
    this.#store?.close();
    this.#store = undefined;
  }

  /**
   * Releases the store without writing what was not flushed; later flushes
   * write nothing. For a process whose state directory was deleted or
   * replaced under it: what it would write is no longer its own.
   */
  abandon(): void {
    this.#store?.close();
    this.#store = undefined;
    this.#dirty.clear();
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
  isTrusted(node: MemoNode): boolean {
    const trusted = this.#trusted;
    if (trusted === undefined) return false;
    if ("isClean" in trusted) return node.storeIndex >= 0 && trusted.isClean(node.storeIndex);
    return trusted.has(node.id);
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

  /** @internal Re-checks a file (or a listing) now, whatever this epoch saw of it. */
  recheckFile(leaf: FileLeaf | ListingLeaf): void {
    // Whatever this epoch saw of it predates the write: look again.
    if (leaf.refresh(this.currentRun()) && this.#store !== undefined) this.#dirty.add(leaf);
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
   * The value a memo call returned last (in this process or, with a store,
   * an earlier one), without bringing it up to date: it may be stale.
   * @param name The memo function's name.
   * @param input The call's input.
   * @returns The value, or undefined when no call returned one (or the
   * function is not defined in this process).
   */
  lastValue(name: string, input: unknown): unknown {
    const def = definitionNamed(name);
    if (def === undefined) return undefined;
    try {
      return this.memoNode(def, input).success?.value;
    } catch {
      return undefined;
    }
  }

  /**
   * The last value of every call of a memo function that this engine or its
   * store holds one for, without bringing any up to date: for recovering
   * what other state summarised from it (the outputs a build wrote). Reads
   * the whole store; not for a build's own path.
   * @param name The memo function's name.
   * @returns Each call's input and last value.
   */
  lastValues(name: string): [input: unknown, value: unknown][] {
    if (definitionNamed(name) === undefined) return [];
    const prefix = name + "\u0000";
    const store = this.#store;
    if (store !== undefined) {
      for (let i = 0; i < store.tableSize; i++) {
        const id = store.stringAt(i);
        if (id.startsWith(prefix) && !this.#cells.has(id)) this.#load(id);
      }
    }
    const out: [unknown, unknown][] = [];
    for (const [id, cell] of this.#cells) {
      if (!id.startsWith(prefix) || !(cell instanceof MemoNode)) continue;
      const success = cell.success;
      if (success !== undefined) out.push([cell.input, success.value]);
    }
    return out;
  }

  /**
   * Whether a path this engine tracks differs from what it recorded: a file
   * whose stat fields moved (or that appeared or went), a directory holding
   * such a file, or an entry of a listed directory or glob (which counts as
   * moved, since only listing again tells). For a watcher: an event on a
   * file the build itself wrote finds it as recorded, and starts nothing.
   * @param path An absolute path.
   * @returns True when invalidating it may change a result.
   */
  moved(path: string): boolean {
    const file = this.#files.get(path);
    if (file !== undefined && fileMoved(file)) return true;
    for (const listing of this.#listings) if (listing.covers(path)) return true;
    // A file that is still the file recorded holds no other: no need to look under it.
    if (file !== undefined && file.exists && !file.isDirectory) return false;
    const prefix = path + "/";
    for (const [filePath, leaf] of this.#files) {
      if (filePath.startsWith(prefix) && fileMoved(leaf)) return true;
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
   * @internal Called when a body has executed.
   * @param node The node.
   * @param previous Its dependencies before, undefined when it had no result.
   */
  nodeExecuted(node: MemoNode, _previous: readonly DepRef[] | undefined): void {
    if (this.#store !== undefined) this.#dirty.add(node);
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
        if (def === undefined || def.persist === false) return undefined;
        const node = new MemoNode(id, def, r[4], this.#statsFor(def.name), definitionsGeneration());
        let value: unknown;
        try {
          value = def.persist.decode(r[5]);
        } catch {
          return undefined;
        }
        const extra = (r[9] ?? {}) as StoredNodeExtra;
        const builtAt = r[7] as number;
        const success: Success = {
          value,
          deps: r[6] as number[],
          together: extra.t,
          builtAt,
          changedAt: extra.v ?? (r[8] as number),
        };
        node.state = extra.f === undefined ? { kind: "value", success } : {
          kind: "failed",
          failure: {
            error: undefined,
            own: extra.f === 1,
            stored: true,
            deps: [],
            together: undefined,
            builtAt,
          },
          success,
        };
        node.changedAt = r[8] as number;
        // An outcome of other code is kept for early cutoff; the body executes again.
        node.code = strings[r[3] as number];
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

/** Whether a file's stat fields differ from what its leaf recorded (or it was never checked). */
function fileMoved(leaf: FileLeaf): boolean {
  if (leaf.digest === "") return true;
  const st = statPath(leaf.path);
  if (st === null) return leaf.exists || leaf.isDirectory;
  if (st.isDirectory) return !leaf.isDirectory;
  return !leaf.exists || st.mtime !== leaf.mtime || st.size !== leaf.size || st.ino !== leaf.ino ||
    st.ctime !== leaf.ctime;
}

function recordOf(
  cell: Cell,
  strings: readonly string[],
  stored: (path: string) => string,
): StoreRecord | undefined {
  if (cell instanceof MemoNode) {
    // What is stored is the last success; a failure after it is a mark.
    const def = cell.def;
    const state = cell.state;
    const success = cell.success;
    if (def.persist === false || success === undefined) return undefined;
    if (!isJsonData(cell.input)) return undefined;
    let v: unknown;
    try {
      v = def.persist.encode(success.value);
    } catch {
      return undefined;
    }
    if (!isJsonData(v)) return undefined;
    const deps = success.deps;
    const d = deps.map((dep) =>
      typeof dep === "object" ? dep.id : typeof dep === "number" ? strings[dep] : dep
    );
    const dx = deps.map((dep) =>
      typeof dep === "object" ? dep.storeIndex : typeof dep === "number" ? dep : -1
    );
    const extra: StoredNodeExtra = {};
    if (success.together !== undefined) extra.t = [...success.together];
    if (success.changedAt !== cell.changedAt) extra.v = success.changedAt;
    if (state.kind === "failed") extra.f = state.failure.own ? 1 : 2;
    return {
      t: "m",
      id: cell.id,
      ix: cell.storeIndex,
      dx,
      n: def.name,
      h: cell.code,
      i: cell.input,
      v,
      d,
      b: success.builtAt,
      c: cell.changedAt,
      e: Object.keys(extra).length === 0 ? undefined : extra,
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

/**
 * What a memo node's record holds beyond the success it keeps: groups of
 * dependencies read together (`t`), the run its value last changed when
 * that is not when its outcome did (`v`), and a failure after the success
 * (`f`: 1 the body's own, 2 a dependency's).
 */
interface StoredNodeExtra {
  t?: number[];
  v?: number;
  f?: 1 | 2;
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
