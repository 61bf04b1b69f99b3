/**
 * The action cache. A build opens it with {@linkcode openActionCache} from
 * the options {@linkcode actionCacheOptionsFromEnv} reads (flags, then the
 * environment), then looks actions up by the digest of their REAPI `Action`,
 * restores their outputs and stores what they produce.
 *
 * Underneath, every cache implements {@linkcode CacheBackend}: a local
 * directory ({@linkcode LocalCache}), a server that speaks Bazel's HTTP cache
 * protocol ({@linkcode HttpCache}), a REAPI server over gRPC (`GrpcCache`,
 * in rules/remote, loaded only for a `grpc://` URL), or a local cache in
 * front of a remote one ({@linkcode TieredCache}). A failure of a cache is a
 * warning and a miss, never a failed build.
 *
 * @example A hit from the local cache
 * ```ts
 * import { actionCacheOptionsFromEnv, openActionCache } from "./mod.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options = actionCacheOptionsFromEnv(() => undefined, { cacheDir: dir });
 * const cache = (await openActionCache(options))!;
 * const action = await sha256Digest(new TextEncoder().encode("an encoded Action"));
 * await cache.store(action, { outputFiles: [], outputDirectories: [], exitCode: 0 }, [], []);
 * assert.equal((await cache.lookup(action) as { source: string }).source, "local");
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { openActionCache } from "./action_cache.ts";
export type {
  ActionBlob,
  ActionCache,
  ActionCacheLookup,
  ActionCacheStats,
  ActionOutput,
} from "./action_cache.ts";
export { actionCacheOptionsFromEnv, cacheNamespaceFromEnv } from "./cache_options.ts";
export type { ActionCacheOptions, CacheFlags, EnvReader } from "./cache_options.ts";
export type {
  CacheBackend,
  PutActionResultOptions,
  RemoteCacheBackend,
  RestoreOptions,
} from "./backend.ts";
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
export { UploadQueue } from "./upload_queue.ts";
export type { UploadQueueOptions } from "./upload_queue.ts";
