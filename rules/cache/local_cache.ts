/**
 * The local action cache: action results and blobs in a directory, shared
 * safely by builds running at the same time, kept under a size cap.
 *
 * On disk (`dir` made by {@linkcode ensureCacheDir}, mode 0700):
 * - `ac/<2 hex>/<key>`: an action result, opaque bytes, under its action key;
 * - `cas/<2 hex>/<sha256>`: a blob under its SHA-256;
 * - `tmp/`: files being written, renamed into place once complete, so that a
 *   reader sees a whole entry or none and two writers of one key leave one of
 *   their entries whole;
 * - `size-journal`: the bytes held, updated on each insert (format in
 *   `_size_journal.ts`), so that the cap is checked without scanning;
 * - `lock`: held while the directory is scanned and entries evicted.
 *
 * An entry's modification time is when it was last stored or used: a hit
 * sets it to now. When the journal's total passes the cap, the directory is
 * scanned and the least recently used entries are removed until the total is
 * 90 % of the cap.
 *
 * @module
 */

import type { CacheBackend, PutActionResultOptions, RestoreOptions } from "./backend.ts";
import { DEFAULT_CACHE_MAX_BYTES, ensureCacheDir } from "./cache_dir.ts";
import { checkDigest, type Digest, digestKey, sameDigest, sha256Digest } from "../reapi/digest.ts";
import { DigestMismatchError } from "./errors.ts";
import {
  copyHashing,
  errorCode,
  parentOf,
  removeQuietly,
  renameIntoSync,
  tempBeside,
  tempIn,
  writeNew,
  writeNewSync,
} from "./_files.ts";
import { type Eviction, evictOldest, removeStaleTemps, scanEntries } from "./_scan.ts";
import { SizeJournal } from "./_size_journal.ts";
import { pathPresent, statPath } from "../../memo/mod.ts";

/**
 * Options for {@linkcode LocalCache.open}.
 *
 * @example A small cache with its own clock and warnings
 * ```ts
 * import { LocalCache, type LocalCacheOptions } from "./local_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const warnings: string[] = [];
 * const options: LocalCacheOptions = {
 *   maxBytes: 1024 ** 2,
 *   hardLinks: false,
 *   onWarning: (message) => warnings.push(message),
 *   now: () => Date.UTC(2030, 0, 1),
 * };
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(dir, options);
 * await cache.putActionResult({ hash: "f".repeat(64), sizeBytes: 1 }, new Uint8Array(1));
 * const stored = await Deno.stat(`${dir}/ac/ff/${"f".repeat(64)}`);
 * assert.equal(stored.mtime?.getTime(), Date.UTC(2030, 0, 1));
 * assert.deepEqual(warnings, []);
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface LocalCacheOptions {
  /**
   * The size cap in bytes (see {@linkcode cacheConfig} for
   * `BARCHAN_CACHE_MAX`).
   *
   * @default {10 GiB}
   */
  maxBytes?: number;
  /**
   * Restores blobs by hard link instead of copying them. Only files that are
   * not executable are linked (a link shares the stored file's mode), and a
   * restored file must then never be written in place, or the cache entry
   * changes with it. Where a link fails (`EXDEV`: another file system;
   * `EMLINK`: too many links), one warning is given and blobs are copied from
   * then on. Copies use `copy_file_range`, which shares blocks on file
   * systems that support it (Btrfs, XFS).
   *
   * @default {false}
   */
  hardLinks?: boolean;
  /**
   * Receives each warning (a damaged entry, a failed write); each kind of
   * warning is given once per cache.
   *
   * @default {console.warn}
   */
  onWarning?: (message: string) => void;
  /**
   * The clock that dates entries when they are stored or used, in ms since
   * the epoch. When it is given, stores set entries' times from it too.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * What the cache holds.
 *
 * @example Counting one action result
 * ```ts
 * import { type CacheStats, LocalCache } from "./local_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(dir);
 * await cache.putActionResult({ hash: "1".repeat(64), sizeBytes: 1 }, new Uint8Array(5));
 * const stats: CacheStats = await cache.stats();
 * assert.deepEqual(stats, { entries: 1, bytes: 5, actionResults: 1, blobs: 0 });
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CacheStats {
  /** Action results and blobs. */
  entries: number;
  /** Their total size. */
  bytes: number;
  /** How many action results. */
  actionResults: number;
  /** How many blobs. */
  blobs: number;
}

/**
 * What {@linkcode LocalCache.trim} removed, and what is left.
 *
 * @example Trimming a cache that is under the size asked for
 * ```ts
 * import { LocalCache, type TrimResult } from "./local_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(dir);
 * await cache.putActionResult({ hash: "2".repeat(64), sizeBytes: 1 }, new Uint8Array(5));
 * const result: TrimResult = await cache.trim(100);
 * assert.deepEqual(result, { removedEntries: 0, removedBytes: 0, entries: 1, bytes: 5 });
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type TrimResult = Eviction;

const JOURNAL = "size-journal";
const LOCK = "lock";
const LOW_WATER = 0.9;
const COMPACT_JOURNAL_BYTES = 64 * 1024;
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Files up to this size are stored with synchronous calls: a thread hop costs more than the copy. */
const SMALL_FILE = 256 * 1024;
/** The journal gets a record once this much was added (or at the end of a build). */
const JOURNAL_BATCH_BYTES = 1 << 20;

/**
 * An action cache in a local directory.
 *
 * @example Storing and restoring a blob and an action result
 * ```ts
 * import { LocalCache } from "./local_cache.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(`${dir}/cache`);
 * const bytes = new TextEncoder().encode("#!/bin/sh\necho hi\n");
 * const digest = await sha256Digest(bytes);
 * await cache.putBlob(digest, bytes);
 * const action = { hash: "a".repeat(64), sizeBytes: 140 };
 * await cache.putActionResult(action, new Uint8Array([1, 2, 3]));
 *
 * assert.deepEqual(await cache.getActionResult(action), new Uint8Array([1, 2, 3]));
 * assert.ok(await cache.getBlobToFile(digest, `${dir}/out/hi.sh`, { executable: true }));
 * assert.equal((await Deno.stat(`${dir}/out/hi.sh`)).mode! & 0o777, 0o755);
 * assert.deepEqual(await cache.stats(), { entries: 2, bytes: 21, actionResults: 1, blobs: 1 });
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class LocalCache implements CacheBackend {
  /** The cache's directory. */
  readonly dir: string;
  /** The cache's directory, for messages. */
  readonly name: string;
  #maxBytes: number;
  #hardLinks: boolean;
  #onWarning: (message: string) => void;
  #now: () => number;
  #datesStores: boolean;
  #journal: SizeJournal;
  /** The journal's total as last read, plus this cache's own changes since. */
  #total = 0;
  /** What this cache added since it last read the journal. */
  #addedSinceRead = 0;
  #trimming: Promise<void> | undefined;
  /** Bytes added since the journal was last appended to. */
  #unjournaled = 0;
  #warned = new Set<string>();

  private constructor(dir: string, journal: SizeJournal, options: LocalCacheOptions) {
    this.dir = dir;
    this.name = dir;
    this.#journal = journal;
    this.#maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.#hardLinks = options.hardLinks ?? false;
    this.#onWarning = options.onWarning ?? ((message) => console.warn(message));
    this.#now = options.now ?? Date.now;
    this.#datesStores = options.now !== undefined;
  }

  /**
   * Opens (and creates) the cache in `dir`. When the size journal says the
   * cache is over its cap, or the journal is damaged, the cache is scanned
   * and trimmed first.
   *
   * @param dir The cache's directory.
   * @param options Size cap, restore by hard link, warnings, clock.
   * @returns The open cache; {@linkcode LocalCache.close} it when done.
   *
   * @example Opening a cache creates its directory
   * ```ts
   * import { LocalCache } from "./local_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const cache = await LocalCache.open(`${dir}/cache`, { maxBytes: 1024 ** 2 });
   * assert.equal((await Deno.stat(`${dir}/cache`)).mode! & 0o777, 0o700);
   * cache.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(dir: string, options: LocalCacheOptions = {}): Promise<LocalCache> {
    if (options.maxBytes !== undefined && !(options.maxBytes >= 0)) {
      throw new RangeError(
        `Cannot open the action cache at ${dir} with a size cap of ${options.maxBytes}: expected a number of bytes of at least 0`,
      );
    }
    await ensureCacheDir(dir);
    await Deno.mkdir(`${dir}/tmp`, { recursive: true });
    const cache = new LocalCache(dir, new SizeJournal(`${dir}/${JOURNAL}`), options);
    await cache.#start();
    return cache;
  }

  async #start(): Promise<void> {
    const state = await this.#journal.read();
    this.#total = state.total;
    if (state.damaged) {
      if (state.length > 0 || (await scanEntries(this.dir)).length > 0) {
        this.#warn(
          "journal",
          `The action cache's size journal ${this.#journal.path} is missing or damaged: scanning the cache to rebuild it`,
        );
      }
      await this.#enforceCap(true);
    } else if (state.total > this.#maxBytes) {
      await this.#enforceCap();
    } else if (state.length > COMPACT_JOURNAL_BYTES) {
      await this.#withLock(async () => {
        const again = await this.#journal.read();
        if (!again.damaged) await this.#journal.reset(again.total);
      });
    }
  }

  /**
   * The action result stored for an action; a hit marks the entry as used.
   *
   * @param action The action's digest; the entry is named by its hash.
   * @returns The stored bytes, or `undefined`.
   */
  async getActionResult(action: Digest): Promise<Uint8Array | undefined> {
    const path = this.#path("ac", checkDigest(action).hash);
    // Most lookups of a build that runs are misses: asked without an
    // exception (a thrown NotFound costs more than the lookup itself).
    if (!pathPresent(path)) return undefined;
    const bytes = await this.#read(path, () => Promise.resolve(Deno.readFileSync(path)));
    if (bytes !== undefined) this.#touch(path);
    return bytes;
  }

  /**
   * Stores an action result for an action, replacing any entry. A failure to
   * write (a full disk) is a warning, not an error.
   *
   * @param action The action's digest.
   * @param bytes The encoded action result.
   * @param _options Unused: the caller stores blobs before their action result.
   */
  async putActionResult(
    action: Digest,
    bytes: Uint8Array,
    _options?: PutActionResultOptions,
  ): Promise<void> {
    const path = this.#path("ac", checkDigest(action).hash);
    await this.#write(`action result ${digestKey(action)}`, async () => {
      const tmp = tempIn(`${this.dir}/tmp`);
      await this.#inTmp(() => Promise.resolve(writeNewSync(tmp, bytes)));
      const previous = statPath(path)?.size ?? 0;
      this.#place(tmp, path);
      await this.#added(bytes.length - previous);
    });
  }

  /**
   * Which blobs the cache does not hold (or holds with the wrong size); the
   * others are marked as used.
   *
   * @param digests The blobs.
   * @returns The missing ones, in order.
   */
  findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const missing: Digest[] = [];
    for (const digest of digests) {
      const path = this.#path("cas", checkDigest(digest).hash);
      const size = statPath(path)?.size ?? -1;
      if (size === digest.sizeBytes) this.#touch(path);
      else missing.push(digest);
    }
    return Promise.resolve(missing);
  }

  /**
   * A blob's content, read whole: for small blobs.
   *
   * @param digest The blob.
   * @returns Its content, or `undefined` when missing or of the wrong size.
   */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    const path = this.#path("cas", checkDigest(digest).hash);
    const bytes = await this.#read(path, () => Deno.readFile(path));
    if (bytes === undefined) return undefined;
    const actual = bytes.length === digest.sizeBytes ? await sha256Digest(bytes) : undefined;
    if (actual === undefined || !sameDigest(actual, digest)) {
      await this.#damaged(path, digest, actual ?? { hash: "", sizeBytes: bytes.length });
      return undefined;
    }
    this.#touch(path);
    return bytes;
  }

  /**
   * Restores a blob to `path` by copy (see {@linkcode LocalCacheOptions}
   * for hard links): written beside `path`, hashed on the way, and renamed
   * over it only if its SHA-256 and size match, so that `path` is never
   * half written nor wrong. A damaged stored blob is removed and reported,
   * never restored. (A hard link is checked by size only.)
   *
   * @param digest The blob.
   * @param path Where to restore it; parent directories are created.
   * @param options Whether the file is executable.
   * @returns Whether the blob was restored.
   */
  async getBlobToFile(
    digest: Digest,
    path: string,
    options: RestoreOptions = {},
  ): Promise<boolean> {
    const blob = this.#path("cas", checkDigest(digest).hash);
    using source = await this.#read(blob, () => Deno.open(blob));
    if (source === undefined) return false;
    const info = await source.stat();
    if (info.size !== digest.sizeBytes) {
      await this.#damaged(blob, digest, { hash: "", sizeBytes: info.size });
      return false;
    }
    const executable = options.executable ?? false;
    const tmp = tempBeside(path);
    try {
      if (
        !(this.#hardLinks && !executable && ((info.mode ?? 0) & 0o111) === 0 &&
          await this.#link(blob, tmp, path))
      ) {
        const copied = await _copyInto(source, tmp);
        if (!sameDigest(copied, digest)) {
          await removeQuietly(tmp);
          await this.#damaged(blob, digest, copied);
          return false;
        }
        if (executable) await Deno.chmod(tmp, 0o755);
      }
      await Deno.rename(tmp, path);
    } catch (error) {
      await removeQuietly(tmp);
      if (error instanceof Deno.errors.NotFound) return false; // evicted meanwhile
      if (errorCode(error) === undefined) throw error;
      this.#warn(
        "restore",
        `Cannot restore blob ${
          digestKey(digest)
        } from the action cache at ${this.dir} to ${path}: ${(error as Error).message}`,
      );
      return false;
    }
    this.#touch(blob);
    return true;
  }

  async #link(blob: string, tmp: string, path: string): Promise<boolean> {
    try {
      await _inDir(tmp, () => Deno.link(blob, tmp));
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code !== "EXDEV" && code !== "EMLINK") throw error;
      this.#hardLinks = false;
      this.#warn(
        "link",
        `Cannot hard-link ${path} to the action cache at ${this.dir} (${code}): restoring by copy instead`,
      );
      return false;
    }
  }

  /**
   * Stores a blob from bytes; a blob already stored is only marked as used.
   *
   * @param digest The blob's digest.
   * @param bytes The content.
   * @throws {DigestMismatchError} If `bytes` do not have that digest.
   */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    const path = this.#path("cas", checkDigest(digest).hash);
    if (this.#alreadyStored(path, digest)) return;
    const actual = await sha256Digest(bytes);
    if (!sameDigest(actual, digest)) {
      throw new DigestMismatchError("bytes", digest, actual);
    }
    await this.#write(`blob ${digestKey(digest)}`, async () => {
      const tmp = tempIn(`${this.dir}/tmp`);
      await this.#inTmp(() =>
        bytes.length <= SMALL_FILE
          ? Promise.resolve(writeNewSync(tmp, bytes))
          : writeNew(tmp, bytes)
      );
      this.#place(tmp, path);
      await this.#added(bytes.length);
    });
  }

  /**
   * Stores a blob from a file, by copy, hashing it on the way; a blob already
   * stored is only marked as used.
   *
   * @param digest The file's digest.
   * @param file The file.
   * @throws {DigestMismatchError} If the file does not have that digest.
   */
  async putBlobFromFile(digest: Digest, file: string): Promise<void> {
    const path = this.#path("cas", checkDigest(digest).hash);
    if (this.#alreadyStored(path, digest)) return;
    if (digest.sizeBytes <= SMALL_FILE) {
      // A small file: read, checked and written at once, with no thread hops.
      const bytes = Deno.readFileSync(file);
      const actual = await sha256Digest(bytes);
      if (!sameDigest(actual, digest)) throw new DigestMismatchError(file, digest, actual);
      await this.#write(`blob ${digestKey(digest)}`, async () => {
        const tmp = tempIn(`${this.dir}/tmp`);
        await this.#inTmp(() => Promise.resolve(writeNewSync(tmp, bytes)));
        this.#place(tmp, path);
        await this.#added(bytes.length);
      });
      return;
    }
    // A source that cannot be read is the caller's error, thrown as is.
    using source = await Deno.open(file);
    const tmp = tempIn(`${this.dir}/tmp`);
    try {
      await this.#write(`blob ${digestKey(digest)}`, async () => {
        const actual = await this.#inTmp(() => copyHashing(source, tmp));
        if (!sameDigest(actual, digest)) {
          throw new DigestMismatchError(file, digest, actual);
        }
        this.#place(tmp, path);
        await this.#added(actual.sizeBytes);
      });
    } finally {
      await removeQuietly(tmp);
    }
  }

  /**
   * Stores a blob that another cache writes: `download` is given a path in
   * the cache's own temporary directory, writes the blob there (checked
   * against its digest, as every cache's `getBlobToFile` does), and the file
   * is then renamed into place, with no copy. A blob already stored is only
   * marked as used.
   *
   * @param digest The blob.
   * @param download Writes the blob to the path it is given; resolves
   * whether it did.
   * @returns Whether the blob is now stored.
   *
   * @example Taking a blob from another cache
   * ```ts
   * import { LocalCache } from "./local_cache.ts";
   * import { sha256Digest } from "../reapi/digest.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const remote = await LocalCache.open(`${dir}/remote`);
   * const local = await LocalCache.open(`${dir}/local`);
   * const bytes = new TextEncoder().encode("object code");
   * const digest = await sha256Digest(bytes);
   * await remote.putBlob(digest, bytes);
   * assert.ok(await local.receiveBlob(digest, (path) => remote.getBlobToFile(digest, path)));
   * assert.deepEqual(await local.getBlob(digest), bytes);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async receiveBlob(
    digest: Digest,
    download: (path: string) => Promise<boolean>,
  ): Promise<boolean> {
    const path = this.#path("cas", checkDigest(digest).hash);
    if (this.#alreadyStored(path, digest)) return true;
    const tmp = tempIn(`${this.dir}/tmp`);
    try {
      if (!await this.#inTmp(() => download(tmp))) return false;
      const size = await _sizeOf(tmp, -1);
      if (size !== digest.sizeBytes) return false;
      let stored = false;
      await this.#write(`blob ${digestKey(digest)}`, async () => {
        this.#place(tmp, path);
        await this.#added(size);
        stored = true;
      });
      return stored;
    } finally {
      await removeQuietly(tmp);
    }
  }

  /**
   * Checks the size journal once more (other builds add to it too) and trims
   * the cache if it is over its cap: what a build calls when it ends.
   *
   * @param _timeoutMs Unused: the local cache has no background work.
   * @returns Always `true`.
   */
  async flush(_timeoutMs?: number): Promise<boolean> {
    await this.#writeJournal();
    await this.#rereadJournal();
    if (this.#total > this.#maxBytes) await this.#enforceCap();
    return true;
  }

  /**
   * Scans the whole cache: how many entries and bytes it holds.
   *
   * @returns The counts.
   *
   * @example An empty cache
   * ```ts
   * import { LocalCache } from "./local_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const cache = await LocalCache.open(dir);
   * assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0, actionResults: 0, blobs: 0 });
   * cache.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async stats(): Promise<CacheStats> {
    const entries = await scanEntries(this.dir);
    const actionResults = entries.filter((entry) => entry.kind === "ac").length;
    return {
      entries: entries.length,
      bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
      actionResults,
      blobs: entries.length - actionResults,
    };
  }

  /**
   * Removes the least recently used entries until the cache holds at most
   * `maxBytes` (`barchan cache trim`).
   *
   * @param maxBytes The size to trim to.
   * @returns What was removed and what is left.
   *
   * @example Trimming to nothing
   * ```ts
   * import { LocalCache } from "./local_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const cache = await LocalCache.open(dir);
   * await cache.putActionResult({ hash: "b".repeat(64), sizeBytes: 1 }, new Uint8Array(10));
   * const result = await cache.trim(0);
   * assert.deepEqual(result, { removedEntries: 1, removedBytes: 10, entries: 0, bytes: 0 });
   * cache.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  trim(maxBytes: number): Promise<TrimResult> {
    return this.#withLock(() => this.#scanAndEvict(maxBytes, maxBytes));
  }

  /**
   * Removes every entry (`barchan cache clear`).
   *
   * @example Clearing
   * ```ts
   * import { LocalCache } from "./local_cache.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const cache = await LocalCache.open(dir);
   * const action = { hash: "c".repeat(64), sizeBytes: 140 };
   * await cache.putActionResult(action, new Uint8Array(3));
   * await cache.clear();
   * assert.equal(await cache.getActionResult(action), undefined);
   * assert.equal((await cache.stats()).entries, 0);
   * cache.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async clear(): Promise<void> {
    await this.#withLock(async () => {
      for (const kind of ["ac", "cas"]) {
        try {
          await Deno.remove(`${this.dir}/${kind}`, { recursive: true });
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
      await this.#journal.reset(0);
      this.#total = 0;
      this.#addedSinceRead = 0;
    });
  }

  /** Appends what the size journal has yet to hear; the cache keeps no file open between calls. */
  close(): void {
    const delta = this.#unjournaled;
    this.#unjournaled = 0;
    this.#journal.addSync(delta);
  }

  #path(kind: "ac" | "cas", hash: string): string {
    return `${this.dir}/${kind}/${hash.slice(0, 2)}/${hash}`;
  }

  /** Runs a read; a missing file is `undefined`, another failure a warning and `undefined`. */
  async #read<T>(path: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      if (errorCode(error) === undefined) throw error;
      this.#warn("read", `Cannot read ${path} in the action cache: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Runs a store; a failure of the file system is a warning. */
  async #write(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (errorCode(error) === undefined) throw error;
      this.#warn(
        "write",
        `Cannot store ${what} in the action cache at ${this.dir}: ${
          (error as Error).message
        }; going on without storing it`,
      );
    }
  }

  /** Runs `fn`, which writes into tmp/, creating tmp/ first if it was removed. */
  async #inTmp<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.mkdir(`${this.dir}/tmp`, { recursive: true });
      return await fn();
    }
  }

  #place(tmp: string, path: string): void {
    renameIntoSync(tmp, path);
    if (this.#datesStores) this.#touch(path);
  }

  #alreadyStored(path: string, digest: Digest): boolean {
    if ((statPath(path)?.size ?? -1) !== digest.sizeBytes) return false;
    this.#touch(path);
    return true;
  }

  #touch(path: string): void {
    const now = new Date(this.#now());
    try {
      Deno.utimeSync(path, now, now);
    } catch (error) {
      // Evicted meanwhile, or a cache shared read-only: the entry only ages.
      if (errorCode(error) === undefined) throw error;
    }
  }

  async #damaged(path: string, digest: Digest, actual: Digest): Promise<void> {
    const got = actual.hash === "" || actual.sizeBytes !== digest.sizeBytes
      ? `${actual.sizeBytes} bytes`
      : `SHA-256 ${actual.hash}`;
    this.#warn(
      `damaged ${path}`,
      `Blob ${
        digestKey(digest)
      } in the action cache at ${this.dir} is damaged (it has ${got}): removed, not restored`,
    );
    await removeQuietly(path);
  }

  #warn(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    this.#onWarning(message);
  }

  async #added(delta: number): Promise<void> {
    // Appended to the journal in batches (and by flush): a record a store
    // cost an open, a write and a close each.
    this.#unjournaled += delta;
    if (Math.abs(this.#unjournaled) >= JOURNAL_BATCH_BYTES) await this.#writeJournal();
    this.#total += delta;
    this.#addedSinceRead += delta;
    // Other builds add to the journal too: read it again when this one has
    // added a twentieth of the cap since it last did.
    if (this.#addedSinceRead > this.#maxBytes / 20) await this.#rereadJournal();
    if (this.#total > this.#maxBytes) await this.#enforceCap();
  }

  async #writeJournal(): Promise<void> {
    const delta = this.#unjournaled;
    this.#unjournaled = 0;
    await this.#journal.add(delta);
  }

  async #rereadJournal(): Promise<void> {
    const state = await this.#journal.read();
    this.#addedSinceRead = 0;
    // What this cache added and has yet to append counts too.
    this.#total = state.damaged ? Infinity : state.total + this.#unjournaled;
  }

  /**
   * Scans and trims to 90 % of the cap if the journal (read under the lock)
   * says the cache is over it; scans to correct the journal when `always`.
   */
  #enforceCap(always = false): Promise<void> {
    this.#trimming ??= this.#withLock(async () => {
      await this.#writeJournal();
      const state = await this.#journal.read();
      if (always || state.damaged || state.total > this.#maxBytes) {
        await this.#scanAndEvict(this.#maxBytes, Math.floor(this.#maxBytes * LOW_WATER));
      } else {
        this.#total = state.total;
        this.#addedSinceRead = 0;
      }
    }).finally(() => this.#trimming = undefined);
    return this.#trimming;
  }

  /** When the cache holds more than `maxBytes`, evicts down to `targetBytes`. */
  async #scanAndEvict(maxBytes: number, targetBytes: number): Promise<Eviction> {
    await removeStaleTemps(`${this.dir}/tmp`, Date.now(), STALE_TEMP_MS);
    const entries = await scanEntries(this.dir);
    const eviction = await evictOldest(entries, maxBytes, targetBytes);
    await this.#journal.reset(eviction.bytes);
    this.#total = eviction.bytes;
    this.#addedSinceRead = 0;
    return eviction;
  }

  async #withLock<T>(fn: () => Promise<T>): Promise<T> {
    using lock = await Deno.open(`${this.dir}/${LOCK}`, { write: true, create: true });
    await lock.lock(true);
    return await fn();
  }
}

/** A file's size, or `missing` when it does not exist. */
async function _sizeOf(path: string, missing = 0): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return missing;
    throw error;
  }
}

/**
 * Copies an open file to a new file at `path` (mode 0644), hashing it;
 * creates `path`'s directory when it is missing.
 */
async function _copyInto(source: Deno.FsFile, path: string): Promise<Digest> {
  try {
    return await copyHashing(source, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(parentOf(path), { recursive: true });
    await source.seek(0, Deno.SeekMode.Start);
    return await copyHashing(source, path);
  }
}

/** Runs `fn`, which creates `path`; creates `path`'s directory first if it is missing. */
async function _inDir<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const slash = path.lastIndexOf("/");
    if (slash <= 0) throw error;
    await Deno.mkdir(path.slice(0, slash), { recursive: true });
    return await fn();
  }
}
