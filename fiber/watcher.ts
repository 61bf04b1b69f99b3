/**
 * File watcher for watch mode: `Deno.watchFs` events, filtered and debounced
 * into batches of absolute paths.
 *
 * Rules a consumer can rely on:
 *
 * - Every path in a batch is absolute, and a batch lists each path once, sorted.
 * - A burst of events becomes one batch: the batch is flushed once no event has
 *   arrived for `debounceMs`, or `maxWaitMs` after its first event, whichever
 *   comes first.
 * - Batches flushed while the consumer is busy are merged, so a slow consumer
 *   gets one batch with everything that changed since it last asked.
 * - Reads are not changes: `access` events are dropped.
 * - A rename reports both the old and the new path; a deletion reports the
 *   deleted path with kind `"remove"`. Renaming or deleting a directory
 *   reports the directory only: treat a directory path as "anything below it".
 * - Editor temp files: a path whose name looks like an editor's temp, backup or
 *   probe file (`4913`, `file~`, `.file.swp`, `.#file`, `#file#`, `file.tmp`,
 *   `file.tmp123`, `file___jb_tmp___`, `.goutputstream-*`, `file.crswap`,
 *   `file.part`) is dropped when it no longer exists at flush time. The
 *   destination of a write-to-temp-then-rename is always reported, since the
 *   rename names it.
 * - `.git` and vim swap files are always ignored, on top of `ignore`.
 * - Marks: `mark()` writes a small file in `markDir` and returns a number;
 *   the batch that carries that number in `marks` holds every change made
 *   before the call (the file system reports events in order), and is
 *   flushed without waiting for the quiet period. A consumer answers a
 *   request that must see every earlier change (a build asked by another
 *   process) once it reaches the mark. The mark files never appear in a batch.
 * - Lost events: when the system reports that events were dropped (its queue
 *   overflowed), or a mark is not seen within `markTimeoutMs`, the batch has
 *   `rescan: true`: anything may have changed.
 *
 * @module
 */

import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { BUILTIN_IGNORE, compileIgnore, type IgnoreTest, isTempName } from "./_watch_filter.ts";
import { removeIfPresent } from "./_remove_if_present.ts";

/**
 * What happened to a path during a batch, judged at flush time.
 *
 * @example Tell a deletion from a change
 * ```ts
 * import type { WatchChangeKind } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * function needsRebuild(kind: WatchChangeKind): boolean {
 *   return kind !== "remove";
 * }
 * assert.equal(needsRebuild("modify"), true);
 * ```
 */
export type WatchChangeKind = "create" | "modify" | "remove";

/**
 * A set of paths that changed together.
 *
 * @example See which paths were deleted
 * ```ts
 * import type { WatchBatch } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const batch: WatchBatch = {
 *   paths: ["/src/a.ts", "/src/b.ts"],
 *   kinds: { "/src/a.ts": "modify", "/src/b.ts": "remove" },
 * };
 * const removed = batch.paths.filter((path) => batch.kinds[path] === "remove");
 * assert.deepEqual(removed, ["/src/b.ts"]);
 * ```
 */
export interface WatchBatch {
  /** Changed paths: absolute, sorted, unique. */
  paths: string[];
  /**
   * The kind of each path in `paths`: `"remove"` when it no longer exists,
   * `"create"` when it appeared during the batch (including as the destination
   * of a rename), `"modify"` otherwise.
   */
  kinds: Record<string, WatchChangeKind>;
  /**
   * Marks (from {@linkcode Watcher.mark}) reached by this batch: every change
   * made before each of them is in this batch or an earlier one.
   */
  marks?: number[];
  /** True when events may have been lost: treat everything watched as changed. */
  rescan?: boolean;
}

/**
 * Options for {@linkcode watch}.
 *
 * @example Ignore build outputs
 * ```ts
 * import { watch, type WatchOptions } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: WatchOptions = { ignore: ["_build/", /\.log$/], debounceMs: 10 };
 * await using watcher = watch([dir], options);
 * await Deno.mkdir(`${dir}/_build`);
 * await Deno.writeTextFile(`${dir}/_build/out.o`, "");
 * await Deno.writeTextFile(`${dir}/build.log`, "");
 * await Deno.writeTextFile(`${dir}/main.c`, "");
 * for await (const batch of watcher) {
 *   assert.deepEqual(batch.paths, [`${dir}/main.c`]);
 *   break;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface WatchOptions {
  /**
   * Paths never reported. A string without an inner `/` (`_build/`,
   * `node_modules`) matches a path segment anywhere below a root; a string
   * with one (`out/gen`) is a prefix relative to each root; an absolute string
   * is a prefix as is; a regular expression is tested on the absolute path.
   * `.git` and vim swap files are ignored in any case.
   *
   * @default {[]}
   */
  ignore?: (string | RegExp)[];
  /**
   * Quiet period, in milliseconds, after which a burst of events is flushed
   * as one batch.
   *
   * @default {30}
   */
  debounceMs?: number;
  /**
   * Longest time, in milliseconds, between the first event of a batch and its
   * flush, so that a never-ending stream of events still yields batches.
   *
   * @default {500}
   */
  maxWaitMs?: number;
  /**
   * Where {@linkcode Watcher.mark} writes its files: a directory under a
   * watched root. Ignoring it hides nothing from marks.
   *
   * @default {the first root}
   */
  markDir?: string;
  /**
   * How long a mark may take to come back before its batch is delivered with
   * `rescan: true`, in milliseconds.
   *
   * @default {2000}
   */
  markTimeoutMs?: number;
  /**
   * Closes the watcher when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * A running file watcher: iterate it for batches, close it to stop.
 *
 * @example Stop watching from another task
 * ```ts
 * import { watch } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const watcher = watch([dir]);
 * const loop = (async () => {
 *   let batches = 0;
 *   for await (const _ of watcher) batches++;
 *   return batches;
 * })();
 * await watcher.close();
 * assert.equal(await loop, 0);
 * await Deno.remove(dir);
 * ```
 */
export interface Watcher extends AsyncIterable<WatchBatch>, AsyncDisposable {
  /**
   * Stops watching and ends the iteration. Batches not yet consumed are
   * dropped.
   *
   * @returns A promise that resolves once the underlying watcher is released.
   */
  close(): Promise<void>;
  /**
   * Marks this moment in the stream of events: the batch whose `marks`
   * includes the returned number holds every change made before the call.
   *
   * @returns The mark's number.
   *
   * @example Wait until every earlier write has been seen
   * ```ts
   * import { watch } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * await using watcher = watch([dir], { debounceMs: 1000 });
   * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
   * const mark = watcher.mark();
   * const seen: string[] = [];
   * for await (const batch of watcher) {
   *   seen.push(...batch.paths);
   *   if (batch.marks?.includes(mark)) break;
   * }
   * assert.deepEqual(seen, [`${dir}/a.txt`]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  mark(): number;
  /**
   * Whether a change to a path would be reported: it lies under a watched
   * root and no ignore rule covers it. A file whose name looks like an
   * editor's temporary file is not, since its deletion is dropped.
   *
   * @param path An absolute path.
   * @returns True when its changes come in batches.
   *
   * @example Ignored paths are not watched
   * ```ts
   * import { watch } from "@barchan/barchan/fiber";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * await using watcher = watch([dir], { ignore: ["out"] });
   * assert.equal(watcher.watches(`${dir}/src/a.c`), true);
   * assert.equal(watcher.watches(`${dir}/out/a.o`), false);
   * assert.equal(watcher.watches(`${dir}/.git/HEAD`), false);
   * assert.equal(watcher.watches("/elsewhere/a.h"), false);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  watches(path: string): boolean;
}

/**
 * Watches directories or files recursively and yields batches of changed
 * paths.
 *
 * @param roots Directories or files to watch, recursively.
 * @param options Ignore rules, debounce timing and a closing signal.
 * @returns A {@linkcode Watcher}: an async iterable of {@linkcode WatchBatch}.
 *
 * @example Report a new file
 * ```ts
 * import { watch } from "@barchan/barchan/fiber";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await using watcher = watch([dir]);
 * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 * for await (const batch of watcher) {
 *   assert.deepEqual(batch.paths, [`${dir}/a.txt`]);
 *   break;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function watch(roots: string[], options: WatchOptions = {}): Watcher {
  return new FileWatcher(roots, options);
}

/**
 * Entries of a new directory listed as created, at most; beyond, the batch
 * asks for a rescan instead.
 */
const MAX_LISTED = 10_000;

interface Waiter {
  resolve(result: IteratorResult<WatchBatch>): void;
  reject(error: unknown): void;
}

class FileWatcher implements Watcher {
  #fs: Deno.FsWatcher;
  #isIgnored: IgnoreTest;
  #debounceMs: number;
  #maxWaitMs: number;
  #signal: AbortSignal | undefined;
  #onAbort = () => void this.close();
  /** Paths seen since the last flush; true when one was created or renamed to. */
  #pending = new Map<string, boolean>();
  #quietTimer: ReturnType<typeof setTimeout> | undefined;
  #maxTimer: ReturnType<typeof setTimeout> | undefined;
  /** A flushed batch the consumer has not taken yet. */
  #ready: WatchBatch | undefined;
  #waiter: Waiter | undefined;
  #error: { error: unknown } | undefined;
  #closed = false;
  #pump: Promise<void>;
  #markDir: string;
  #markTimeoutMs: number;
  #markPrefix = `.watch-mark-${Deno.pid}-`;
  #marksMade = 0;
  /** Marks written and not yet seen, by file path. */
  #marksAwaited = new Map<string, { mark: number; timer: ReturnType<typeof setTimeout> }>();
  /** Marks seen since the last flush. */
  #marksReached: number[] = [];
  #rescan = false;
  #roots: string[];

  constructor(roots: string[], options: WatchOptions) {
    const absolute = roots.map((root) => resolve(root));
    this.#roots = absolute;
    this.#isIgnored = compileIgnore([...BUILTIN_IGNORE, ...(options.ignore ?? [])], absolute);
    this.#debounceMs = options.debounceMs ?? 30;
    this.#maxWaitMs = options.maxWaitMs ?? 500;
    this.#markDir = resolve(options.markDir ?? absolute[0] ?? ".");
    this.#markTimeoutMs = options.markTimeoutMs ?? 2000;
    try {
      this.#fs = Deno.watchFs(absolute, { recursive: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `Cannot watch ${absolute.map((r) => `"${r}"`).join(", ")}: no such file or directory`,
        );
      }
      throw error;
    }
    this.#pump = this.#run();
    this.#signal = options.signal;
    if (this.#signal?.aborted) void this.close();
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  async #run(): Promise<void> {
    try {
      for await (const event of this.#fs) {
        if (this.#closed) break;
        this.#record(event);
      }
    } catch (error) {
      if (!this.#closed) this.#fail(error);
    }
  }

  #record(event: Deno.FsEvent): void {
    if (event.flag === "rescan") {
      this.#rescan = true;
      this.#flush();
      return;
    }
    if (event.kind === "access") return;
    const appeared = event.kind === "create" || event.kind === "rename";
    let added = false;
    for (const raw of event.paths) {
      const path = isAbsolute(raw) ? raw : resolve(raw);
      if (basename(path).startsWith(this.#markPrefix) && dirname(path) === this.#markDir) {
        this.#reachMark(path);
        continue;
      }
      if (this.#isIgnored(path)) continue;
      // For a two-path rename the first path is the source, which disappeared.
      const created = appeared && !(event.paths.length === 2 && raw === event.paths[0]);
      this.#pending.set(path, (this.#pending.get(path) ?? false) || created);
      added = true;
    }
    if (!added) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#flush(), this.#debounceMs);
    this.#maxTimer ??= setTimeout(() => this.#flush(), this.#maxWaitMs);
  }

  watches(path: string): boolean {
    const under = this.#roots.some((root) => path === root || path.startsWith(root + sep));
    return under && !this.#isIgnored(path) && !isTempName(path);
  }

  mark(): number {
    if (this.#closed) throw new Error("Cannot mark a closed watcher");
    const mark = ++this.#marksMade;
    const path = join(this.#markDir, this.#markPrefix + mark);
    Deno.writeFileSync(path, new Uint8Array());
    const timer = setTimeout(() => {
      this.#rescan = true;
      this.#reachMark(path);
    }, this.#markTimeoutMs);
    this.#marksAwaited.set(path, { mark, timer });
    return mark;
  }

  #reachMark(path: string): void {
    const awaited = this.#marksAwaited.get(path);
    if (awaited === undefined) return;
    this.#marksAwaited.delete(path);
    clearTimeout(awaited.timer);
    removeIfPresent(path);
    this.#marksReached.push(awaited.mark);
    this.#flush();
  }

  #flush(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = this.#maxTimer = undefined;
    const batch: WatchBatch = this.#ready ?? { paths: [], kinds: {} };
    if (this.#marksReached.length > 0) {
      batch.marks = [...batch.marks ?? [], ...this.#marksReached];
      this.#marksReached = [];
    }
    if (this.#rescan) batch.rescan = true;
    this.#rescan = false;
    // A directory that appeared may have had entries made in it before the
    // system watched it: their own events never come, so they are listed.
    for (const [path, created] of [...this.#pending]) {
      if (created && isDirectory(path)) this.#addContents(path);
    }
    for (const [path, created] of this.#pending) {
      const kind = !exists(path) ? "remove" : created ? "create" : "modify";
      if (kind === "remove" && isTempName(path)) continue;
      // A path removed then recreated across merged batches reads as modified.
      const previous = batch.kinds[path];
      batch.kinds[path] = previous === "create" && kind !== "remove"
        ? "create"
        : previous === "remove" && kind === "create"
        ? "modify"
        : kind;
    }
    this.#pending.clear();
    batch.paths = Object.keys(batch.kinds).sort();
    if (batch.paths.length === 0 && batch.marks === undefined && !batch.rescan) return;
    this.#ready = batch;
    this.#deliver();
  }

  /** Adds what a new directory holds (at most {@linkcode MAX_LISTED} entries) as created. */
  #addContents(dir: string): void {
    const stack = [dir];
    let listed = 0;
    while (stack.length > 0) {
      const current = stack.pop()!;
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(current)];
      } catch {
        continue; // Not a directory, or gone again.
      }
      for (const entry of entries) {
        const path = join(current, entry.name);
        if (this.#isIgnored(path) || basename(path).startsWith(this.#markPrefix)) continue;
        if (++listed > MAX_LISTED) {
          this.#rescan = true;
          return;
        }
        this.#pending.set(path, true);
        if (entry.isDirectory) stack.push(path);
      }
    }
  }

  #deliver(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#ready !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: this.#ready, done: false });
      this.#ready = undefined;
    } else if (this.#error !== undefined) {
      this.#waiter = undefined;
      waiter.reject(this.#error.error);
    } else if (this.#closed) {
      this.#waiter = undefined;
      waiter.resolve({ value: undefined, done: true });
    }
  }

  #fail(error: unknown): void {
    this.#error = { error };
    void this.close();
  }

  #next(): Promise<IteratorResult<WatchBatch>> {
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error("Cannot iterate a watcher twice at the same time"));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#deliver();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#quietTimer);
      clearTimeout(this.#maxTimer);
      this.#pending.clear();
      for (const [path, { timer }] of this.#marksAwaited) {
        clearTimeout(timer);
        removeIfPresent(path);
      }
      this.#marksAwaited.clear();
      if (this.#error === undefined) this.#ready = undefined;
      this.#signal?.removeEventListener("abort", this.#onAbort);
      try {
        this.#fs.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
      this.#deliver();
    }
    await this.#pump;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Whether a directory is at `path` (a link is not followed); asks without a thrown error for a file. */
function isDirectory(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}
