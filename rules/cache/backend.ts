/**
 * What every action cache offers, on disk or over the network: action results
 * under the digest of their REAPI `Action` message, and content-addressed
 * blobs.
 *
 * @module
 */

import type { Digest } from "../reapi/digest.ts";

/**
 * Options for {@linkcode CacheBackend.getBlobToFile}.
 *
 * @example Restoring an executable
 * ```ts
 * import type { RestoreOptions } from "./backend.ts";
 * import { LocalCache } from "./local_cache.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(`${dir}/cache`);
 * const bytes = new TextEncoder().encode("#!/bin/sh\n");
 * const digest = await sha256Digest(bytes);
 * await cache.putBlob(digest, bytes);
 * const options: RestoreOptions = { executable: true };
 * assert.ok(await cache.getBlobToFile(digest, `${dir}/run.sh`, options));
 * assert.equal((await Deno.stat(`${dir}/run.sh`)).mode! & 0o111, 0o111);
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RestoreOptions {
  /**
   * Whether the restored file is executable (mode 0755, else 0644).
   *
   * @default {false}
   */
  executable?: boolean;
}

/**
 * Options for {@linkcode CacheBackend.putActionResult}.
 *
 * @example An action result that refers to one output
 * ```ts
 * import type { PutActionResultOptions } from "./backend.ts";
 * import { LocalCache } from "./local_cache.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = await LocalCache.open(dir);
 * const output = new TextEncoder().encode("out");
 * const digest = await sha256Digest(output);
 * await cache.putBlob(digest, output);
 * const action = { hash: "e".repeat(64), sizeBytes: 140 };
 * const options: PutActionResultOptions = { requires: [digest] };
 * await cache.putActionResult(action, new Uint8Array([1]), options);
 * assert.ok(await cache.getActionResult(action));
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface PutActionResultOptions {
  /**
   * The blobs the action result refers to. A cache that uploads in the
   * background stores the entry only after these blobs are stored, and not at
   * all if one of them could not be.
   *
   * @default {[]}
   */
  requires?: readonly Digest[];
}

/**
 * An action cache: values under action keys (`ac/`), opaque bytes that are
 * encoded REAPI `ActionResult`s, and blobs under their digests (`cas/`).
 *
 * An action's key is the digest (SHA-256 and size) of its encoded `Action`:
 * a gRPC cache needs both, while a cache on disk or over HTTP names the
 * entry by the hash alone.
 *
 * Every method treats a failure of the cache itself (a server that is down, a
 * damaged entry) as a miss, after a warning given through the cache's own
 * callback: a build never fails because of its cache. The only errors thrown
 * are for wrong arguments: an invalid key, or content that does not match the
 * digest it is put under (`DigestMismatchError`).
 *
 * Action results are returned as stored: the caller checks them (their
 * signature, that their blobs exist). Blobs are checked by the cache: a blob
 * whose size or hash differs from its digest is never returned.
 *
 * @example A cache that keeps action results in memory
 * ```ts
 * import type { CacheBackend } from "./backend.ts";
 * import assert from "node:assert/strict";
 *
 * const results = new Map<string, Uint8Array>();
 * const memory: CacheBackend = {
 *   name: "memory",
 *   getActionResult: (action) => Promise.resolve(results.get(action.hash)),
 *   putActionResult: (action, bytes) => {
 *     results.set(action.hash, bytes);
 *     return Promise.resolve();
 *   },
 *   findMissing: (digests) => Promise.resolve([...digests]),
 *   getBlob: () => Promise.resolve(undefined),
 *   getBlobToFile: () => Promise.resolve(false),
 *   putBlob: () => Promise.resolve(),
 *   putBlobFromFile: () => Promise.resolve(),
 *   flush: () => Promise.resolve(true),
 *   close: () => {},
 * };
 * const action = { hash: "0".repeat(64), sizeBytes: 140 };
 * await memory.putActionResult(action, new Uint8Array([1]));
 * assert.deepEqual(await memory.getActionResult(action), new Uint8Array([1]));
 * ```
 */
export interface CacheBackend {
  /** What the cache is, for messages: a directory, a URL without credentials. */
  readonly name: string;

  /**
   * The action result stored for an action.
   *
   * @param action The digest of the action's encoded `Action` message.
   * @returns The stored bytes, or `undefined` on a miss.
   * @throws {TypeError} If the digest is malformed.
   */
  getActionResult(action: Digest): Promise<Uint8Array | undefined>;

  /**
   * Stores an action result for an action, replacing any entry.
   *
   * @param action The digest of the action's encoded `Action` message.
   * @param bytes The encoded action result; the cache keeps its own copy.
   * @param options The blobs the result refers to.
   * @throws {TypeError} If the digest is malformed.
   */
  putActionResult(
    action: Digest,
    bytes: Uint8Array,
    options?: PutActionResultOptions,
  ): Promise<void>;

  /**
   * Which of these blobs the cache does not hold.
   *
   * @param digests The blobs to look for.
   * @returns Those not found, in the order given.
   */
  findMissing(digests: readonly Digest[]): Promise<Digest[]>;

  /**
   * A small blob's content, checked against its digest.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` on a miss.
   */
  getBlob(digest: Digest): Promise<Uint8Array | undefined>;

  /**
   * Writes a blob to a path, replacing what is there only once the whole
   * content is in place and checked; creates the parent directories.
   *
   * @param digest The blob.
   * @param path Where to write it.
   * @param options Whether the file is executable.
   * @returns Whether the blob was found and written.
   */
  getBlobToFile(digest: Digest, path: string, options?: RestoreOptions): Promise<boolean>;

  /**
   * Stores a blob from bytes.
   *
   * @param digest The blob's digest.
   * @param bytes The content; the cache keeps its own copy.
   * @throws {DigestMismatchError} If the bytes do not have that digest (a
   * cache that stores in the background warns instead).
   */
  putBlob(digest: Digest, bytes: Uint8Array): Promise<void>;

  /**
   * Stores a blob from a file, which is copied (never linked).
   *
   * @param digest The file's digest.
   * @param path The file.
   * @throws {DigestMismatchError} If the file does not have that digest (a
   * cache that stores in the background warns instead).
   */
  putBlobFromFile(digest: Digest, path: string): Promise<void>;

  /**
   * Waits for work still running in the background (uploads), at most
   * `timeoutMs`; what is unfinished then is abandoned.
   *
   * @param timeoutMs The longest wait.
   * @returns Whether everything finished.
   */
  flush(timeoutMs?: number): Promise<boolean>;

  /** Releases the cache's resources; background work is abandoned. */
  close(): void;
}

/**
 * A cache on a server ({@linkcode CacheBackend} over HTTP or gRPC): whether
 * it is still used, and what went over the network.
 *
 * @example Reporting a remote cache's traffic
 * ```ts
 * import type { RemoteCacheBackend } from "./backend.ts";
 * import { HttpCache } from "./http_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const remote: RemoteCacheBackend = new HttpCache("http://127.0.0.1:9/cache", { headers: {} });
 * assert.equal(remote.available, true);
 * assert.equal(remote.bytesDownloaded + remote.bytesUploaded, 0);
 * remote.close();
 * ```
 */
export interface RemoteCacheBackend extends CacheBackend {
  /** Whether the server is still used: false once it was found down, slow or refusing reads. */
  readonly available: boolean;
  /** Bytes of action results and blobs received and checked. */
  readonly bytesDownloaded: number;
  /** Bytes of action results and blobs the server accepted. */
  readonly bytesUploaded: number;
}
