/**
 * What running commands needs of an action cache (rules/cache implements
 * it: a local directory, Bazel's HTTP cache, REAPI's gRPC services): look a
 * key up, restore output files (those of output directories too, named by
 * their `Tree` blob), fetch printed output, store a result.
 *
 * @module
 */
import type { ActionResult, Digest } from "../reapi/mod.ts";

/** Where a hit came from. */
export type CacheSource = "local" | "remote";

/** A lookup's answer: a result, or why there is none (for `--explain`). */
export type CacheLookup =
  | { readonly result: ActionResult; readonly source: CacheSource }
  | { readonly miss: string };

/**
 * An action cache as commands use it.
 *
 * @example A cache that holds nothing
 * ```ts
 * import type { CommandCache } from "./command_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const empty: CommandCache = {
 *   lookup: (action) => Promise.resolve({ miss: `no entry for key ${action.hash.slice(0, 8)}…` }),
 *   restoreFile: () => Promise.resolve(false),
 *   getBlob: () => Promise.resolve(undefined),
 *   store: () => Promise.resolve(),
 * };
 * const answer = await empty.lookup({ hash: "3f2a".repeat(16), sizeBytes: 10 });
 * assert.ok("miss" in answer && answer.miss.startsWith("no entry for key 3f2a3f2a"));
 * ```
 */
export interface CommandCache {
  /**
   * The result stored under a key, its output blobs checked to be present.
   * @param action The key.
   */
  lookup(action: Digest): Promise<CacheLookup>;
  /**
   * Writes a stored file to a path (checked, then renamed into place).
   * @returns Whether it was found and written.
   */
  restoreFile(digest: Digest, path: string, options: { executable: boolean }): Promise<boolean>;
  /** A stored blob (printed output, an output directory's `Tree`), checked. */
  getBlob(digest: Digest): Promise<Uint8Array | undefined>;
  /**
   * Stores a successful command's result and the blobs it names (output
   * files by path, printed output by bytes).
   */
  store(
    action: Digest,
    result: ActionResult,
    outputs: readonly { path: string; digest: Digest }[],
    blobs: readonly { digest: Digest; bytes: Uint8Array }[],
  ): Promise<void>;
}
