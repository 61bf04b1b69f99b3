/**
 * The action cache over gRPC (`--remote-cache grpc://...`): the cache
 * storage interface every cache offers (on disk, Bazel's HTTP cache),
 * implemented with the ActionCache, ContentAddressableStorage and ByteStream
 * services.
 *
 * As with every cache, a failure of the cache is a miss plus one warning:
 * a server that cannot be reached (after the channel's retries) or times out
 * is skipped for the rest of the cache's life. Only wrong arguments throw.
 *
 * @module
 */

import { GrpcCode, RemoteError } from "./errors.ts";
import type { Digest } from "../reapi/messages.ts";
import { connectRemote, type Remote, type RemoteOptions } from "./remote.ts";
import { sha256Digest } from "../reapi/digest.ts";

/**
 * Options of {@linkcode GrpcCache}.
 *
 * @example Collecting warnings
 * ```ts
 * import type { GrpcCacheOptions } from "./grpc_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const warnings: string[] = [];
 * const options: GrpcCacheOptions = { onWarning: (m) => warnings.push(m), retries: 1 };
 * options.onWarning?.("cache down");
 * assert.deepEqual(warnings, ["cache down"]);
 * ```
 */
export interface GrpcCacheOptions extends RemoteOptions {
  /**
   * Where warnings go (a server down, a damaged blob, writes refused).
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/**
 * Options of {@linkcode GrpcCache.getBlobToFile}.
 *
 * @example An executable output
 * ```ts
 * import type { GrpcRestoreOptions } from "./grpc_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const options: GrpcRestoreOptions = { executable: true };
 * assert.equal(options.executable, true);
 * ```
 */
export interface GrpcRestoreOptions {
  /** Whether the restored file is executable (0755, else 0644). @default false */
  executable?: boolean;
}

/**
 * The cache storage interface over a REAPI server. Action keys are the
 * action's digest: `hash/size` (as `digestKey` writes it) or a `Digest`,
 * since REAPI servers key action results by hash and size.
 *
 * Connects on first use; {@linkcode GrpcCache.close} it when done.
 *
 * @example Keys need the action's size
 * ```ts
 * import { GrpcCache } from "./grpc_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const cache = new GrpcCache("grpc://127.0.0.1:8980");
 * assert.equal(cache.name, "grpc://127.0.0.1:8980");
 * await assert.rejects(cache.getActionResult("ab".repeat(32)), /hash\/size/);
 * cache.close();
 * ```
 */
export class GrpcCache {
  /** The endpoint and instance, for messages. */
  readonly name: string;
  #endpoint: string;
  #options: GrpcCacheOptions;
  #remote: Promise<Remote> | undefined;
  #down = false;
  #warned = new Set<string>();

  /**
   * Makes the cache; nothing connects before the first call.
   *
   * @param endpoint `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
   * @param options Instance, headers, TLS roots, deadlines, retries, warnings.
   */
  constructor(endpoint: string, options: GrpcCacheOptions = {}) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.name = options.instanceName ? `${endpoint} (instance ${options.instanceName})` : endpoint;
  }

  /**
   * The encoded `ActionResult` stored for an action.
   *
   * @param action The action's digest, or `hash/size`.
   * @returns The bytes as stored, or `undefined` on a miss.
   * @throws {TypeError} When `action` is not a digest.
   */
  async getActionResult(action: string | Digest): Promise<Uint8Array | undefined> {
    const digest = _actionDigest(action);
    return await this.#use(
      "get an action result",
      (remote) => remote.actionCache.getEncoded(digest),
    );
  }

  /**
   * Stores an encoded `ActionResult` for an action. A server that does not
   * let clients write its action cache costs one warning.
   *
   * @param action The action's digest, or `hash/size`.
   * @param bytes The encoded result.
   * @throws {TypeError} When `action` is not a digest.
   */
  async putActionResult(action: string | Digest, bytes: Uint8Array): Promise<void> {
    const digest = _actionDigest(action);
    await this.#use("store an action result", async (remote) => {
      if (!remote.capabilities.actionCacheUpdateEnabled) {
        this.#warnOnce(
          "read-only",
          `${this.name} does not let clients write its action cache: results are not uploaded`,
        );
        return;
      }
      await remote.actionCache.update(digest, bytes);
    });
  }

  /**
   * Which of these blobs the server lacks; all of them when it cannot be
   * asked.
   *
   * @param digests The blobs.
   * @returns Those missing, in the order given.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const missing = await this.#use("look blobs up", (remote) => remote.cas.findMissing(digests));
    if (missing === undefined) return [...digests];
    const keys = new Set(missing.map(_key));
    return digests.filter((digest) => keys.has(_key(digest)));
  }

  /**
   * A blob's content, checked against its digest.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` on a miss (or a damaged blob).
   */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    return await this.#use("download a blob", (remote) => remote.download(digest));
  }

  /**
   * Writes a blob to a path once it is whole and checked.
   *
   * @param digest The blob.
   * @param path Where to write it (parents created).
   * @param options Whether the file is executable.
   * @returns Whether the blob was found and written.
   */
  async getBlobToFile(
    digest: Digest,
    path: string,
    options: GrpcRestoreOptions = {},
  ): Promise<boolean> {
    const found = await this.#use("download a blob", async (remote) => {
      if (!await remote.downloadToFile(digest, path)) return false;
      await Deno.chmod(path, options.executable ? 0o755 : 0o644);
      return true;
    });
    return found ?? false;
  }

  /**
   * Uploads a blob from bytes, unless the server holds it.
   *
   * @param digest The content's digest.
   * @param bytes The content.
   * @throws {Error} When the bytes do not have that digest.
   */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    const got = await sha256Digest(bytes);
    if (got.hash !== digest.hash || got.sizeBytes !== digest.sizeBytes) {
      throw new Error(
        `Cannot store blob ${_key(digest)} in ${this.name}: the content is ${_key(got)}`,
      );
    }
    await this.#use("upload a blob", (remote) => remote.uploadMissing([{ digest, data: bytes }]));
  }

  /**
   * Uploads a file as a blob, streamed, unless the server holds it. The
   * server checks the content against the digest.
   *
   * @param digest The file's digest.
   * @param path The file.
   */
  async putBlobFromFile(digest: Digest, path: string): Promise<void> {
    await this.#use("upload a blob", (remote) => remote.uploadMissing([{ digest, path }]));
  }

  /**
   * Nothing runs in the background: every put has finished when it returns.
   *
   * @returns `true`.
   */
  flush(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Closes the connection. */
  close(): void {
    const remote = this.#remote;
    this.#remote = undefined;
    this.#down = true;
    remote?.then((r) => r.close(), () => {});
  }

  async #use<T>(what: string, f: (remote: Remote) => Promise<T>): Promise<T | undefined> {
    if (this.#down) return undefined;
    let remote: Remote;
    try {
      this.#remote ??= connectRemote(this.#endpoint, this.#options);
      remote = await this.#remote;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.#down = true;
      this.#warn(`Cannot use the remote cache, which is skipped from now on: ${error.message}`);
      return undefined;
    }
    try {
      return await f(remote);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      if (_SKIP_CODES.has(error.code)) {
        this.#down = true;
        this.#warn(
          `Cannot ${what} in the remote cache, which is skipped from now on: ${error.message}`,
        );
      } else {
        this.#warn(`Cannot ${what} in the remote cache: ${error.message}`);
      }
      return undefined;
    }
  }

  #warn(message: string): void {
    (this.#options.onWarning ?? console.warn)(message);
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warn(message);
  }
}

/** Failures after which the cache is not asked again. */
const _SKIP_CODES = new Set<number>([
  GrpcCode.UNAVAILABLE,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.UNAUTHENTICATED,
  GrpcCode.PERMISSION_DENIED,
  GrpcCode.UNIMPLEMENTED,
]);

function _actionDigest(action: string | Digest): Digest {
  if (typeof action !== "string") return action;
  const match = /^([0-9a-f]{64})\/(\d+)$/.exec(action);
  if (!match) {
    throw new TypeError(
      `Cannot use "${action}" as an action key for a gRPC cache: it needs the action's ` +
        "digest, as hash/size (REAPI servers key action results by both)",
    );
  }
  return { hash: match[1], sizeBytes: Number(match[2]) };
}

function _key(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}
