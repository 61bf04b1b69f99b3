/**
 * The action cache as a build uses it: look an action up by its key, restore
 * its outputs, store what it produced. One call opens it from
 * {@linkcode ActionCacheOptions} (see `cache_options.ts` for the flags and
 * variables): a local cache, always, and a remote one behind it when
 * configured.
 *
 * An action's key is the digest of its REAPI `Action` message, computed by
 * the build; the value is an `ActionResult`. What makes a hit:
 * - local: the entry is in the local cache and every blob it names is there
 *   too (for an output directory, its `Tree` and every file the tree names). The local cache holds only what this machine stored or checked, so
 *   local entries are trusted as they are.
 * - remote: the entry is in the remote cache, decodes, records success,
 *   carries a valid signature by a trusted key when keys are required, and
 *   every blob it names is on the server (an output directory's `Tree` is
 *   downloaded first, for the files it names); then the blobs are downloaded into
 *   the local cache (each checked against its SHA-256 and size) and the
 *   entry is written there too, so that restoring is a local copy and the
 *   next build hits locally.
 *
 * Anything less is a miss, with its reason in words for `--explain`. A
 * remote cache that is down or slow costs one warning and is skipped for
 * the rest of the build; a damaged blob is a miss and a warning, never an
 * output. The remote cache is written only when `upload` is on, in the
 * background, a few uploads at a time; {@linkcode ActionCache.flush} waits
 * for them at the end of the build, for a bounded time.
 *
 * No gRPC code is loaded unless the remote cache is a `grpc://` or
 * `grpcs://` one.
 *
 * @example Store an action's result, then find and restore it
 * ```ts
 * import { openActionCache } from "./action_cache.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache = (await openActionCache({ cacheDir: `${dir}/cache` }))!;
 * const bytes = new TextEncoder().encode("#!/bin/sh\necho hi\n");
 * const digest = await sha256Digest(bytes);
 * await Deno.writeFile(`${dir}/hi.sh`, bytes, { mode: 0o755 });
 * const action = await sha256Digest(new TextEncoder().encode("an encoded Action"));
 * const result = {
 *   outputFiles: [{ path: "hi.sh", digest, isExecutable: true }],
 *   outputDirectories: [],
 *   exitCode: 0,
 * };
 * await cache.store(action, result, [{ path: `${dir}/hi.sh`, digest }], []);
 *
 * const found = await cache.lookup(action);
 * assert.ok("result" in found && found.source === "local");
 * assert.ok(await cache.restoreFile(digest, `${dir}/out/hi.sh`, { executable: true }));
 * assert.equal((await Deno.stat(`${dir}/out/hi.sh`)).mode! & 0o111, 0o111);
 * assert.deepEqual(cache.stats().localHits, 1);
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { Throttle } from "../../fiber/throttle.ts";
import {
  type ActionResult,
  decodeActionResult,
  encodeActionResult,
} from "../reapi/action_result.ts";
import {
  checkDigest,
  type Digest,
  digestKey,
  EMPTY_DIGEST,
  sameDigest,
  sha256Digest,
} from "../reapi/digest.ts";
import {
  signActionResult,
  type SigningKey,
  verifyActionResult,
  type VerifyingKey,
} from "../reapi/signing.ts";
import type { RemoteCacheBackend } from "./backend.ts";
import { cacheConfig, DEFAULT_CACHE_MAX_BYTES } from "./cache_dir.ts";
import type { ActionCacheOptions } from "./cache_options.ts";
import { DigestMismatchError } from "./errors.ts";
import { LocalCache } from "./local_cache.ts";
import { type CacheSource, TieredCache } from "./tiered_cache.ts";
import { loadSigningKey, loadTrustedKeys } from "./_keys.ts";
import { removeQuietly, tempBeside } from "./_files.ts";
import { decodeTree } from "../reapi/directory.ts";
import { treeEntries } from "../reapi/output_tree.ts";

/**
 * The answer of {@linkcode ActionCache.lookup}: a hit, with the result and
 * the tier it came from, or a miss, with why in words (`no entry for key
 * 3f2a1b4c5d6e…`, `entry unsigned`, `entry signed by an unknown key`, `bad
 * signature`, `blob corrupt: out/app`, `blob missing: out/app`, `remote
 * cache unreachable`...).
 *
 * @example Explaining a lookup
 * ```ts
 * import type { ActionCacheLookup } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * function explain(lookup: ActionCacheLookup): string {
 *   return "miss" in lookup ? `not restored: ${lookup.miss}` : `restored from ${lookup.source} cache`;
 * }
 * assert.equal(explain({ miss: "entry unsigned" }), "not restored: entry unsigned");
 * ```
 */
export type ActionCacheLookup =
  | { result: ActionResult; source: CacheSource }
  | { miss: string };

/**
 * An output file of an action, to store: where it is and its digest.
 *
 * @example An object file
 * ```ts
 * import type { ActionOutput } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const output: ActionOutput = { path: "_build/a.o", digest: { hash: "a".repeat(64), sizeBytes: 912 } };
 * assert.equal(output.digest.sizeBytes, 912);
 * ```
 */
export interface ActionOutput {
  /** The file, as the build can open it. */
  path: string;
  /** The digest of its content. */
  digest: Digest;
}

/**
 * A blob held in memory, to store: an action's stdout or stderr.
 *
 * @example An action's stdout
 * ```ts
 * import type { ActionBlob } from "./action_cache.ts";
 * import { sha256Digest } from "../reapi/digest.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("warning: unused variable\n");
 * const stdout: ActionBlob = { digest: await sha256Digest(bytes), bytes };
 * assert.equal(stdout.digest.sizeBytes, bytes.length);
 * ```
 */
export interface ActionBlob {
  /** The digest of the bytes. */
  digest: Digest;
  /** The content. */
  bytes: Uint8Array;
}

/**
 * What the cache did during a build, for the summary and `--json`.
 *
 * @example A summary line
 * ```ts
 * import type { ActionCacheStats } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const stats: ActionCacheStats = {
 *   localHits: 3,
 *   remoteHits: 1,
 *   misses: 2,
 *   stored: 2,
 *   bytesDownloaded: 2048,
 *   bytesUploaded: 0,
 * };
 * assert.equal(`${stats.localHits + stats.remoteHits} restored`, "4 restored");
 * ```
 */
export interface ActionCacheStats {
  /** Lookups answered by the local cache. */
  localHits: number;
  /** Lookups answered by the remote cache. */
  remoteHits: number;
  /** Lookups that found nothing usable. */
  misses: number;
  /** Results stored (in the local cache; in the remote one too when uploading). */
  stored: number;
  /** Bytes received from the remote cache and checked. */
  bytesDownloaded: number;
  /** Bytes the remote cache accepted. */
  bytesUploaded: number;
}

/**
 * The action cache a build uses; made by {@linkcode openActionCache}.
 *
 * @example A miss names the key
 * ```ts
 * import { type ActionCache, openActionCache } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cache: ActionCache = (await openActionCache({ cacheDir: dir }))!;
 * const lookup = await cache.lookup({ hash: "3f2a1b".padEnd(64, "0"), sizeBytes: 140 });
 * assert.deepEqual(lookup, { miss: "no entry for key 3f2a1b000000…" });
 * assert.equal(cache.stats().misses, 1);
 * cache.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ActionCache {
  /** What the cache is, for messages: `local cache DIR[, remote cache URL (...)]`. */
  readonly description: string;

  /**
   * Looks an action up (see the module doc for what makes a hit).
   *
   * @param action The digest of the action's encoded `Action` message.
   * @returns The result and its source, or why there is none.
   * @throws {TypeError} If the digest is malformed.
   */
  lookup(action: Digest): Promise<ActionCacheLookup>;

  /**
   * Writes a blob to `path`, checked against its digest, through a temporary
   * file beside it and a rename; parent directories are created.
   *
   * @param digest The blob (an output file's digest from the result).
   * @param path Where to write it.
   * @param options Whether the file is executable (mode 0755, else 0644).
   * @returns Whether it was written; `false` when no cache has it whole.
   */
  restoreFile(digest: Digest, path: string, options: { executable: boolean }): Promise<boolean>;

  /**
   * A small blob's content, checked against its digest: a result's stdout
   * or stderr, an output directory's `Tree`.
   *
   * @param digest The blob.
   * @returns Its content, or `undefined`.
   */
  getBlob(digest: Digest): Promise<Uint8Array | undefined>;

  /**
   * Stores what an action produced. The local cache is always written; the
   * remote one only when uploading, in the background. The result is
   * signed first when a signing key is set. A result whose `exitCode` is
   * not 0 is never stored; an output that changed after it was hashed
   * stores nothing, with a warning.
   *
   * @param action The digest of the action's encoded `Action` message.
   * @param result What the action produced; its output files name their
   * digests, its output directories the digests of their `Tree`s, which
   * `outputs` and `blobs` provide.
   * @param outputs The output files, and the files of output directories,
   * read from where they are.
   * @param blobs Blobs in memory (stdout, stderr, each output directory's
   * encoded `Tree`).
   * @throws {TypeError} If a digest is malformed, or a blob the result or
   * one of its trees names is neither among `outputs` nor `blobs`.
   */
  store(
    action: Digest,
    result: ActionResult,
    outputs: readonly ActionOutput[],
    blobs: readonly ActionBlob[],
  ): Promise<void>;

  /**
   * Waits for background uploads, at most `timeoutMs`, and checks the local
   * cache's size cap once more: what a build calls at its end.
   *
   * @param timeoutMs The longest wait for uploads.
   * @returns Whether every upload finished in time.
   */
  flush(timeoutMs?: number): Promise<boolean>;

  /** Releases the caches; unfinished uploads are abandoned. */
  close(): void;

  /**
   * What the cache did so far.
   *
   * @returns Counts of hits, misses and stores, and bytes moved.
   */
  stats(): ActionCacheStats;
}

/**
 * Opens the action cache: the local cache (created if need be, trimmed if
 * over its cap), the remote one if configured (connected on first use), and
 * the key files.
 *
 * @param options What to open; see {@linkcode ActionCacheOptions}.
 * @returns The cache, or `undefined` when it is turned off.
 * @throws {Error} If a key file cannot be read, or the remote URL has
 * another scheme than http, https, grpc or grpcs.
 *
 * @example Turned off
 * ```ts
 * import { openActionCache } from "./action_cache.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await openActionCache({ enabled: false }), undefined);
 * ```
 */
export async function openActionCache(
  options: ActionCacheOptions = {},
): Promise<ActionCache | undefined> {
  if (options.enabled === false) return undefined;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const [trusted, signing] = await Promise.all([
    options.trustedKeys === undefined ? undefined : loadTrustedKeys(options.trustedKeys),
    options.signingKey === undefined ? undefined : loadSigningKey(options.signingKey),
  ]);
  const remote = options.remote === undefined ? undefined : await _openRemote(options, warn);
  const local = await LocalCache.open(options.cacheDir ?? cacheConfig().dir, {
    maxBytes: options.maxSize ?? DEFAULT_CACHE_MAX_BYTES,
    onWarning: warn,
  });
  return new _ActionCache(local, remote, {
    upload: options.upload ?? false,
    trusted,
    signing,
    warn,
  });
}

async function _openRemote(
  options: ActionCacheOptions,
  warn: (message: string) => void,
): Promise<RemoteCacheBackend> {
  const url = options.remote!;
  const upload = options.upload ?? false;
  if (/^grpcs?:\/\//i.test(url)) {
    const { GrpcCache } = await import("../remote/grpc_cache.ts");
    return new GrpcCache(url, {
      instanceName: options.instance,
      caFile: options.caFile,
      headers: options.headers && Object.entries(options.headers),
      upload,
      onWarning: warn,
    });
  }
  if (/^https?:\/\//i.test(url)) {
    const { HttpCache } = await import("./http_cache.ts");
    return new HttpCache(url, { headers: options.headers ?? {}, upload, onWarning: warn });
  }
  throw new Error(
    `Cannot use ${
      JSON.stringify(url.replace(/\/\/[^/@]*@/, "//"))
    } as a remote cache: write an http(s):// URL (Bazel's HTTP cache) or a grpc(s):// one (REAPI)`,
  );
}

/** How many blobs a remote hit downloads at once. */
const _PULLS = 8;

interface _Settings {
  upload: boolean;
  trusted: VerifyingKey[] | undefined;
  signing: SigningKey | undefined;
  warn: (message: string) => void;
}

/** A blob an action result names, and what it is for messages. */
interface _Named {
  digest: Digest;
  what: string;
}

class _ActionCache implements ActionCache {
  readonly description: string;
  #local: LocalCache;
  #remote: RemoteCacheBackend | undefined;
  #tiers: TieredCache | undefined;
  #settings: _Settings;
  #pulls = new Throttle(_PULLS);
  #warned = new Set<string>();
  #counts = { localHits: 0, remoteHits: 0, misses: 0, stored: 0 };

  constructor(local: LocalCache, remote: RemoteCacheBackend | undefined, settings: _Settings) {
    this.#local = local;
    this.#remote = remote;
    this.#tiers = remote && new TieredCache(local, remote);
    this.#settings = settings;
    let description = `local cache ${local.dir}`;
    if (remote !== undefined) {
      description += `, remote cache ${remote.name} (${
        settings.upload ? "uploading" : "read only"
      }${settings.trusted ? ", signatures required" : ""})`;
    }
    this.description = description;
  }

  async lookup(action: Digest): Promise<ActionCacheLookup> {
    checkDigest(action);
    const local = await this.#lookupLocal(action);
    if ("result" in local) {
      this.#counts.localHits++;
      return local;
    }
    const found = this.#remote === undefined ? local : await this.#lookupRemote(action, local);
    if ("result" in found) this.#counts.remoteHits++;
    else this.#counts.misses++;
    return found;
  }

  async #lookupLocal(action: Digest): Promise<ActionCacheLookup> {
    const bytes = await this.#local.getActionResult(action);
    if (bytes === undefined) return { miss: `no entry for key ${_short(action)}` };
    const result = this.#decode(bytes, action, "local");
    if (typeof result === "string") return { miss: result };
    const evicted = " (evicted from the local cache)";
    const blobs = await _withTrees(result, (digest) => this.#local.getBlob(digest));
    if (typeof blobs === "string") return { miss: blobs + evicted };
    const missing = await this.#local.findMissing(blobs.map((blob) => blob.digest));
    if (missing.length > 0) {
      return { miss: `blob missing: ${_whatOf(blobs, missing[0])}${evicted}` };
    }
    return { result, source: "local" };
  }

  async #lookupRemote(action: Digest, local: { miss: string }): Promise<ActionCacheLookup> {
    const remote = this.#remote!;
    const unreachable = { miss: "remote cache unreachable" };
    if (!remote.available) return unreachable;
    const bytes = await remote.getActionResult(action);
    if (bytes === undefined) return remote.available ? local : unreachable;
    const result = this.#decode(bytes, action, "remote");
    if (typeof result === "string") return { miss: result };
    const trusted = this.#settings.trusted;
    if (trusted !== undefined) {
      const check = await verifyActionResult(result, action, trusted);
      if (!check.valid) {
        if (check.reason === "bad signature") {
          this.#warnOnce(
            `bad signature ${action.hash}`,
            `Remote cache ${remote.name} holds an entry for action ${
              digestKey(action)
            } whose signature does not verify: ignored (was it altered?)`,
          );
        }
        return { miss: _SIGNATURE_MISSES[check.reason] };
      }
    }
    const inline = await this.#keepInlineContents(result);
    if (inline !== undefined) return { miss: inline };
    // Each tree is pulled first (checked on the way), for the files it names.
    const blobs = await _withTrees(result, (digest) => this.#tiers!.getBlob(digest));
    if (!remote.available) return unreachable;
    if (typeof blobs === "string") return { miss: blobs };
    const notLocal = await this.#local.findMissing(blobs.map((blob) => blob.digest));
    const notRemote = await remote.findMissing(notLocal);
    if (!remote.available) return unreachable;
    if (notRemote.length > 0) return { miss: `blob missing: ${_whatOf(blobs, notRemote[0])}` };
    const pulled = await Promise.all(
      notLocal.map((digest) => this.#pulls.run(() => this.#tiers!.pullBlob(digest))),
    );
    const failed = notLocal.find((_, i) => pulled[i] === undefined);
    if (failed !== undefined) {
      if (!remote.available) return unreachable;
      return { miss: `blob corrupt: ${_whatOf(blobs, failed)}` };
    }
    await this.#local.putActionResult(action, bytes);
    return { result, source: "remote" };
  }

  /** The decoded result, or why it cannot be used. */
  #decode(bytes: Uint8Array, action: Digest, tier: CacheSource): ActionResult | string {
    let result: ActionResult;
    try {
      result = decodeActionResult(bytes);
    } catch (error) {
      this.#warnOnce(
        `corrupt ${tier} ${action.hash}`,
        `The ${tier} cache's entry for action ${digestKey(action)} is not an ActionResult (${
          (error as Error).message
        }): ignored`,
      );
      return "entry corrupt";
    }
    if (result.exitCode !== 0) return `entry records a failure (exit code ${result.exitCode})`;
    const outside = [...result.outputFiles, ...result.outputDirectories].find((output) =>
      !_isInside(output.path)
    );
    if (outside !== undefined) {
      return `entry names an output outside the working directory: ${outside.path}`;
    }
    return result;
  }

  /** Stores outputs whose content the result carries inline; why not if one is damaged. */
  async #keepInlineContents(result: ActionResult): Promise<string | undefined> {
    for (const file of result.outputFiles) {
      if (file.contents === undefined || file.contents.length === 0) continue;
      if (!sameDigest(await sha256Digest(file.contents), file.digest)) {
        this.#warnOnce(
          `inline ${file.digest.hash}`,
          `Remote cache ${
            this.#remote!.name
          } sent ${file.path} inline with content that does not match its digest ${
            digestKey(file.digest)
          }: treated as a miss`,
        );
        return `blob corrupt: ${file.path}`;
      }
      await this.#local.putBlob(file.digest, file.contents);
    }
    return undefined;
  }

  async restoreFile(
    digest: Digest,
    path: string,
    options: { executable: boolean },
  ): Promise<boolean> {
    checkDigest(digest);
    if (sameDigest(digest, EMPTY_DIGEST)) {
      await _writeEmpty(path, options.executable ? 0o755 : 0o644);
      return true;
    }
    if (this.#tiers !== undefined) {
      return await this.#tiers.restoreBlob(digest, path, options) !== undefined;
    }
    return await this.#local.getBlobToFile(digest, path, options);
  }

  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    checkDigest(digest);
    if (sameDigest(digest, EMPTY_DIGEST)) return new Uint8Array();
    return await (this.#tiers ?? this.#local).getBlob(digest);
  }

  async store(
    action: Digest,
    result: ActionResult,
    outputs: readonly ActionOutput[],
    blobs: readonly ActionBlob[],
  ): Promise<void> {
    checkDigest(action);
    outputs.forEach((output) => checkDigest(output.digest));
    blobs.forEach((blob) => checkDigest(blob.digest));
    if (result.exitCode !== 0) return;
    const given = new Set([...outputs, ...blobs].map((source) => digestKey(source.digest)));
    const inline: ActionBlob[] = [];
    for (const file of result.outputFiles) {
      if (file.contents !== undefined && file.contents.length > 0) {
        inline.push({ digest: file.digest, bytes: file.contents });
        given.add(digestKey(file.digest));
      }
    }
    const inMemory = new Map(blobs.map((blob) => [digestKey(blob.digest), blob.bytes]));
    const named = await _withTrees(
      result,
      (digest) => Promise.resolve(inMemory.get(digestKey(digest))),
    );
    if (typeof named === "string") {
      throw new TypeError(`Cannot store the result of action ${digestKey(action)}: ${named}`);
    }
    const absent = named.find((blob) => !given.has(digestKey(blob.digest)));
    if (absent !== undefined) {
      throw new TypeError(
        `Cannot store the result of action ${digestKey(action)}: ${absent.what}'s blob ${
          digestKey(absent.digest)
        } is neither among the outputs nor the blobs given`,
      );
    }
    const signing = this.#settings.signing;
    const stored = signing ? await signActionResult(result, action, signing) : result;
    const bytes = encodeActionResult(stored);
    try {
      for (const output of outputs) await this.#local.putBlobFromFile(output.digest, output.path);
      for (const blob of [...blobs, ...inline]) await this.#local.putBlob(blob.digest, blob.bytes);
    } catch (error) {
      if (!(error instanceof DigestMismatchError)) throw error;
      this.#settings.warn(
        `Not caching the result of action ${digestKey(action)}: ${error.message}`,
      );
      return;
    }
    await this.#local.putActionResult(action, bytes);
    this.#counts.stored++;
    const remote = this.#remote;
    if (remote === undefined || !this.#settings.upload) return;
    for (const output of outputs) await remote.putBlobFromFile(output.digest, output.path);
    for (const blob of [...blobs, ...inline]) await remote.putBlob(blob.digest, blob.bytes);
    await remote.putActionResult(action, bytes, { requires: named.map((blob) => blob.digest) });
  }

  async flush(timeoutMs = 60_000): Promise<boolean> {
    const [local, remote] = await Promise.all([
      this.#local.flush(timeoutMs),
      this.#remote?.flush(timeoutMs) ?? true,
    ]);
    return local && remote;
  }

  close(): void {
    this.#local.close();
    this.#remote?.close();
  }

  stats(): ActionCacheStats {
    return {
      ...this.#counts,
      bytesDownloaded: this.#remote?.bytesDownloaded ?? 0,
      bytesUploaded: this.#remote?.bytesUploaded ?? 0,
    };
  }

  #warnOnce(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    this.#settings.warn(message);
  }
}

const _SIGNATURE_MISSES = {
  "unsigned": "entry unsigned",
  "unknown key": "entry signed by an unknown key",
  "bad signature": "bad signature",
} as const;

/** The first 12 hex digits of a key, for messages. */
function _short(action: Digest): string {
  return `${action.hash.slice(0, 12)}…`;
}

/**
 * The non-empty blobs a result names, each once: its output files, stdout,
 * stderr, and each output directory's `Tree` with the files it names, the
 * trees read through `get`.
 * @returns The blobs, or why a tree cannot be read.
 */
async function _withTrees(
  result: ActionResult,
  get: (digest: Digest) => Promise<Uint8Array | undefined>,
): Promise<_Named[] | string> {
  const named = _blobsOf(result);
  const keys = new Set(named.map((blob) => digestKey(blob.digest)));
  for (const dir of result.outputDirectories) {
    const what = `the tree of ${dir.path}`;
    const bytes = await get(dir.treeDigest);
    if (bytes === undefined) return `blob missing: ${what}`;
    let entries;
    try {
      entries = await treeEntries(decodeTree(bytes));
    } catch (error) {
      return `blob corrupt: ${what} (${(error as Error).message})`;
    }
    for (const entry of entries) {
      if (entry.kind !== "file" || entry.digest.sizeBytes === 0) continue;
      const key = digestKey(entry.digest);
      if (keys.has(key)) continue;
      keys.add(key);
      named.push({ digest: entry.digest, what: `${dir.path}/${entry.path}` });
    }
  }
  return named;
}

/** The non-empty blobs a result names (output files, trees, stdout, stderr), each once. */
function _blobsOf(result: ActionResult): _Named[] {
  const named = new Map<string, _Named>();
  const add = (digest: Digest | undefined, what: string) => {
    const key = digest && digestKey(digest);
    if (key !== undefined && digest!.sizeBytes > 0 && !named.has(key)) {
      named.set(key, { digest: digest!, what });
    }
  };
  for (const file of result.outputFiles) add(file.digest, file.path);
  for (const dir of result.outputDirectories) add(dir.treeDigest, `the tree of ${dir.path}`);
  add(result.stdoutDigest, "stdout");
  add(result.stderrDigest, "stderr");
  return [...named.values()];
}

/** What a blob of a result is, for a miss reason: the first output with that digest. */
function _whatOf(named: readonly _Named[], digest: Digest): string {
  return named.find((blob) => sameDigest(blob.digest, digest))?.what ?? digestKey(digest);
}

/** Whether a result's path stays inside the working directory. */
function _isInside(path: string): boolean {
  return path !== "" && !path.startsWith("/") &&
    !path.split("/").some((part) => part === ".." || part === "");
}

async function _writeEmpty(path: string, mode: number): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = tempBeside(path);
  try {
    await Deno.writeFile(tmp, new Uint8Array(), { mode });
    await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } finally {
    await removeQuietly(tmp);
  }
}
