/**
 * Action caches: action results under action keys and blobs under their
 * SHA-256, in a local directory ({@linkcode LocalCache}), on a server that
 * speaks Bazel's HTTP cache protocol ({@linkcode HttpCache}), or both, the
 * local one first ({@linkcode TieredCache}). All implement
 * {@linkcode CacheBackend}, and a failure of a cache is a warning and a miss,
 * never a failed build.
 *
 * @example A local cache in front of nothing but itself
 * ```ts
 * import { cacheConfig, LocalCache } from "./mod.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const config = cacheConfig({ cacheDir: dir, env: () => undefined });
 * const cache = await LocalCache.open(config.dir, { maxBytes: config.maxBytes });
 * const bytes = new TextEncoder().encode("output");
 * const digest = await sha256Digest(bytes);
 * await cache.putBlob(digest, bytes);
 * assert.deepEqual(await cache.findMissing([digest]), []);
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export type { CacheBackend, PutActionResultOptions, RestoreOptions } from "./backend.ts";
export {
  cacheConfig,
  cacheSwitch,
  DEFAULT_CACHE_MAX_BYTES,
  ensureCacheDir,
  parseSize,
} from "./cache_dir.ts";
export type { CacheConfig, CacheConfigOptions } from "./cache_dir.ts";
export { parseCacheHeaders, remoteCacheHeaders } from "./cache_headers.ts";
export { DigestMismatchError } from "./errors.ts";
export { HttpCache } from "./http_cache.ts";
export type { HttpCacheOptions } from "./http_cache.ts";
export { LocalCache } from "./local_cache.ts";
export type { CacheStats, LocalCacheOptions, TrimResult } from "./local_cache.ts";
export { describeSource, TieredCache } from "./tiered_cache.ts";
export type { ActionResultHit, CacheSource } from "./tiered_cache.ts";
