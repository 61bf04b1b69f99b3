/**
 * Two caches as one: the local cache first, then the remote one, with the
 * blobs the remote one gives kept in the local one.
 *
 * @module
 */

import type { CacheBackend, PutActionResultOptions, RestoreOptions } from "./backend.ts";
import type { Digest } from "../reapi/digest.ts";
import type { LocalCache } from "./local_cache.ts";

/**
 * Which tier a hit came from.
 *
 * @example Explaining a local hit
 * ```ts
 * import { type CacheSource, describeSource } from "./tiered_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const source: CacheSource = "local";
 * assert.equal(describeSource(source), "restored from local cache");
 * ```
 */
export type CacheSource = "local" | "remote";

/**
 * An action result found in a tier.
 *
 * @example A local hit
 * ```ts
 * import { type ActionResultHit, TieredCache } from "./tiered_cache.ts";
 * import { LocalCache } from "./local_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const local = await LocalCache.open(`${dir}/local`);
 * const remote = await LocalCache.open(`${dir}/remote`);
 * const action = { hash: "3".repeat(64), sizeBytes: 140 };
 * await local.putActionResult(action, new Uint8Array([3]));
 * const hit: ActionResultHit | undefined = await new TieredCache(local, remote)
 *   .lookupActionResult(action);
 * assert.deepEqual(hit, { bytes: new Uint8Array([3]), source: "local" });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ActionResultHit {
  /** The stored bytes, unchecked. */
  bytes: Uint8Array;
  /** Where they were found. */
  source: CacheSource;
}

/**
 * How `--explain` says where a restored action came from.
 *
 * @param source The tier.
 * @returns `restored from local cache` or `restored from remote cache`.
 *
 * @example The phrase for a remote hit
 * ```ts
 * import { describeSource } from "./tiered_cache.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeSource("remote"), "restored from remote cache");
 * ```
 */
export function describeSource(source: CacheSource): string {
  return `restored from ${source} cache`;
}

/**
 * A local cache in front of a remote one. Lookups try the local cache, then
 * the remote one. A blob found remotely is kept in the local cache, so the
 * next build finds it there: blobs are checked against their digest, so
 * keeping them is safe. An action result found remotely is not: the caller
 * checks it (its signature, its blobs) and then stores it in
 * {@linkcode TieredCache.local} itself. Stores go to both tiers (the remote
 * one in the background, if it uploads at all).
 *
 * @example A remote hit, kept locally once checked
 * ```ts
 * import { TieredCache } from "./tiered_cache.ts";
 * import { LocalCache } from "./local_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const remote = await LocalCache.open(`${dir}/remote`);
 * const local = await LocalCache.open(`${dir}/local`);
 * const action = { hash: "d".repeat(64), sizeBytes: 140 };
 * await remote.putActionResult(action, new Uint8Array([7]));
 * const cache = new TieredCache(local, remote);
 * const hit = await cache.lookupActionResult(action);
 * assert.equal(hit?.source, "remote");
 * assert.equal((await cache.lookupActionResult(action))?.source, "remote");
 * await cache.local.putActionResult(action, hit!.bytes);
 * assert.equal((await cache.lookupActionResult(action))?.source, "local");
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class TieredCache implements CacheBackend {
  /** Both caches' names. */
  readonly name: string;
  /** The cache tried first, which keeps the blobs found in the other. */
  readonly local: LocalCache;
  /** The cache tried second. */
  readonly remote: CacheBackend;

  /**
   * Puts `local` in front of `remote`.
   *
   * @param local The cache tried first, into which remote blobs are written.
   * @param remote The cache tried second.
   */
  constructor(local: LocalCache, remote: CacheBackend) {
    this.local = local;
    this.remote = remote;
    this.name = `${local.name}, then ${remote.name}`;
  }

  /**
   * An action result and where it was found, unchecked; a remote hit is not
   * written into the local cache (see the class doc).
   *
   * @param action The action's digest.
   * @returns The hit, or `undefined` when neither cache has the entry.
   */
  async lookupActionResult(action: Digest): Promise<ActionResultHit | undefined> {
    const local = await this.local.getActionResult(action);
    if (local !== undefined) return { bytes: local, source: "local" };
    const remote = await this.remote.getActionResult(action);
    return remote === undefined ? undefined : { bytes: remote, source: "remote" };
  }

  /**
   * Makes sure the local cache holds a blob: there already, or downloaded
   * from the remote cache (checked) straight into it.
   *
   * @param digest The blob.
   * @returns Where the blob was found, or `undefined` when neither tier has
   * it whole.
   */
  async pullBlob(digest: Digest): Promise<CacheSource | undefined> {
    if ((await this.local.findMissing([digest])).length === 0) return "local";
    const pulled = await this.local.receiveBlob(
      digest,
      (path) => this.remote.getBlobToFile(digest, path),
    );
    return pulled ? "remote" : undefined;
  }

  /**
   * Restores a blob to `path` from the local cache, else from the remote one
   * (through the local cache, which keeps it).
   *
   * @param digest The blob.
   * @param path Where to write it.
   * @param options Whether the file is executable.
   * @returns The tier it came from, or `undefined` when neither has it.
   */
  async restoreBlob(
    digest: Digest,
    path: string,
    options?: RestoreOptions,
  ): Promise<CacheSource | undefined> {
    if (await this.local.getBlobToFile(digest, path, options)) return "local";
    if (await this.pullBlob(digest) === undefined) return undefined;
    return await this.local.getBlobToFile(digest, path, options) ? "remote" : undefined;
  }

  /**
   * The action result from either tier (see
   * {@linkcode TieredCache.lookupActionResult}).
   *
   * @param action The action's digest.
   * @returns The bytes, or `undefined`.
   */
  async getActionResult(action: Digest): Promise<Uint8Array | undefined> {
    return (await this.lookupActionResult(action))?.bytes;
  }

  /**
   * Stores an action result in both tiers.
   *
   * @param action The action's digest.
   * @param bytes The encoded action result.
   * @param options The blobs it refers to.
   */
  async putActionResult(
    action: Digest,
    bytes: Uint8Array,
    options?: PutActionResultOptions,
  ): Promise<void> {
    await this.local.putActionResult(action, bytes, options);
    await this.remote.putActionResult(action, bytes, options);
  }

  /**
   * The blobs neither tier holds.
   *
   * @param digests The blobs.
   * @returns Those missing from both, in order.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const missingLocally = await this.local.findMissing(digests);
    if (missingLocally.length === 0) return [];
    return await this.remote.findMissing(missingLocally);
  }

  /**
   * A small blob from either tier; a remote hit is stored locally.
   *
   * @param digest The blob.
   * @returns Its content, or `undefined`.
   */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    const local = await this.local.getBlob(digest);
    if (local !== undefined) return local;
    const remote = await this.remote.getBlob(digest);
    if (remote !== undefined) await _quietly(() => this.local.putBlob(digest, remote));
    return remote;
  }

  /**
   * Restores a blob from either tier (see {@linkcode TieredCache.restoreBlob}).
   *
   * @param digest The blob.
   * @param path Where to write it.
   * @param options Whether the file is executable.
   * @returns Whether it was restored.
   */
  async getBlobToFile(digest: Digest, path: string, options?: RestoreOptions): Promise<boolean> {
    return await this.restoreBlob(digest, path, options) !== undefined;
  }

  /**
   * Stores a blob in both tiers.
   *
   * @param digest The blob's digest.
   * @param bytes The content.
   * @throws {DigestMismatchError} If the bytes do not have that digest.
   */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    await this.local.putBlob(digest, bytes);
    await this.remote.putBlob(digest, bytes);
  }

  /**
   * Stores a blob from a file in both tiers.
   *
   * @param digest The file's digest.
   * @param path The file.
   * @throws {DigestMismatchError} If the file does not have that digest.
   */
  async putBlobFromFile(digest: Digest, path: string): Promise<void> {
    await this.local.putBlobFromFile(digest, path);
    await this.remote.putBlobFromFile(digest, path);
  }

  /**
   * Flushes both tiers, each within `timeoutMs`.
   *
   * @param timeoutMs The longest wait.
   * @returns Whether both finished.
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    const [local, remote] = await Promise.all([
      this.local.flush(timeoutMs),
      this.remote.flush(timeoutMs),
    ]);
    return local && remote;
  }

  /** Closes both tiers. */
  close(): void {
    this.local.close();
    this.remote.close();
  }
}

/** Keeping a blob locally is a convenience: its failure must not turn the hit into an error. */
async function _quietly(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch {
    // The hit stands; the next build looks it up remotely again.
  }
}
