/**
 * The action cache over gRPC (`--remote-cache grpc://...`): the
 * {@linkcode RemoteCacheBackend} that the client of Bazel's HTTP cache
 * implements too, on the ActionCache, ContentAddressableStorage and
 * ByteStream services of the Remote Execution API.
 *
 * It behaves as the HTTP cache does:
 * - it reads only, unless `upload` is on (`--remote-cache-upload`);
 * - uploads run in the background, a few at a time, and
 *   {@linkcode GrpcCache.flush} waits for them for a bounded time; an action
 *   result is uploaded only after the blobs it refers to;
 * - every call has a deadline; a server that cannot be reached (after the
 *   channel's retries), answers too late or refuses access gets one warning
 *   and is skipped for the rest of the cache's life; a server that refuses
 *   writes only stops the uploads;
 * - every blob downloaded is checked against its SHA-256 and size: a
 *   damaged one is a miss and a warning, never an output.
 *
 * Only wrong arguments throw. Nothing of gRPC is loaded before the first
 * call.
 *
 * @module
 */

import { parseEndpoint } from "./endpoint.ts";
import { GrpcCode, RemoteError } from "./errors.ts";
import { connectRemote, type Remote, type RemoteOptions } from "./remote.ts";
import {
  checkDigest,
  type Digest,
  digestKey,
  fileDigest,
  sameDigest,
  sha256Digest,
} from "../reapi/digest.ts";
import type {
  PutActionResultOptions,
  RemoteCacheBackend,
  RestoreOptions,
} from "../cache/backend.ts";
import { DigestMismatchError } from "../cache/errors.ts";
import { UploadQueue } from "../cache/upload_queue.ts";
import { tempBeside, writeFileWhole } from "./_files.ts";

/**
 * Options of {@linkcode GrpcCache}.
 *
 * @example A client for trusted CI
 * ```ts
 * import type { GrpcCacheOptions } from "./grpc_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const warnings: string[] = [];
 * const options: GrpcCacheOptions = {
 *   instanceName: "main",
 *   upload: true,
 *   onWarning: (m) => warnings.push(m),
 * };
 * options.onWarning?.("cache down");
 * assert.deepEqual(warnings, ["cache down"]);
 * ```
 */
export interface GrpcCacheOptions extends RemoteOptions {
  /**
   * Whether puts upload at all: clients read only unless trusted to write.
   *
   * @default {false}
   */
  upload?: boolean;
  /**
   * How many uploads run at once.
   *
   * @default {4}
   */
  uploadConcurrency?: number;
  /**
   * Where warnings go (a server down, a damaged blob, writes refused); each
   * is given once.
   *
   * @default {console.warn}
   */
  onWarning?: (message: string) => void;
}

/**
 * Options of {@linkcode GrpcCache.getBlobToFile}: the cache's
 * `RestoreOptions`.
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
export type GrpcRestoreOptions = RestoreOptions;

/** The deadline of each unary call of the cache, unless the options set one. */
const _DEADLINE_MS = 20_000;

/**
 * The cache storage interface over a REAPI server. Action results are keyed
 * by the action's digest, hash and size, as REAPI servers key them.
 *
 * Connects on first use; {@linkcode GrpcCache.close} it when done.
 *
 * @example A server that is not there: misses and one warning
 * ```ts
 * import { GrpcCache } from "./grpc_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const warnings: string[] = [];
 * const cache = new GrpcCache(`grpc://127.0.0.1:${port}`, {
 *   retries: 0,
 *   onWarning: (m) => warnings.push(m),
 * });
 * const action = { hash: "ab".repeat(32), sizeBytes: 140 };
 * assert.equal(await cache.getActionResult(action), undefined);
 * assert.equal(await cache.getActionResult(action), undefined);
 * assert.equal(warnings.length, 1);
 * assert.equal(cache.available, false);
 * cache.close();
 * ```
 */
export class GrpcCache implements RemoteCacheBackend {
  /** The endpoint and instance, for messages. */
  readonly name: string;
  #endpoint: string;
  #options: GrpcCacheOptions;
  #remote: Promise<Remote> | undefined;
  #readable = true;
  #writable: boolean;
  #actionCache = true;
  #uploads: UploadQueue;
  #warned = new Set<string>();
  #downloaded = 0;
  #uploaded = 0;

  /**
   * Makes the cache; nothing connects before the first call.
   *
   * @param endpoint `grpc://HOST:PORT` or `grpcs://HOST:PORT`.
   * @param options Instance, headers, TLS roots, deadlines, retries,
   * uploads, warnings.
   * @throws {TypeError} If the endpoint is not a grpc:// or grpcs:// URL.
   */
  constructor(endpoint: string, options: GrpcCacheOptions = {}) {
    parseEndpoint(endpoint);
    this.#endpoint = endpoint;
    this.#options = { ...options, deadlineMs: options.deadlineMs ?? _DEADLINE_MS };
    this.#writable = options.upload ?? false;
    this.#uploads = new UploadQueue({
      concurrency: options.uploadConcurrency ?? 4,
      onError: (error) => this.#failed("upload", error),
    });
    this.name = options.instanceName ? `${endpoint} (instance ${options.instanceName})` : endpoint;
  }

  /** Whether the server is still used: false once it was found down, slow or refusing reads. */
  get available(): boolean {
    return this.#readable;
  }

  /** Bytes of action results and blobs received and checked. */
  get bytesDownloaded(): number {
    return this.#downloaded;
  }

  /** Bytes of action results and blobs the server accepted. */
  get bytesUploaded(): number {
    return this.#uploaded;
  }

  /**
   * The encoded `ActionResult` stored for an action, unchecked.
   *
   * @param action The action's digest.
   * @returns The bytes as stored, or `undefined` on a miss (or when the
   * server fails).
   * @throws {TypeError} When `action` is not a well-formed digest.
   */
  async getActionResult(action: Digest): Promise<Uint8Array | undefined> {
    checkDigest(action);
    if (!this.#actionCache) return undefined;
    const bytes = await this.#read(
      "get an action result",
      (remote) => remote.actionCache.getEncoded(action),
    );
    this.#downloaded += bytes?.length ?? 0;
    return bytes;
  }

  /**
   * Queues the upload of an encoded `ActionResult` (when uploads are on), to
   * run once the blobs it requires are uploaded; skipped if one of them
   * failed. A server that does not let clients write its action cache costs
   * one warning.
   *
   * @param action The action's digest.
   * @param bytes The encoded result (copied).
   * @param options The blobs it refers to.
   * @throws {TypeError} When a digest is malformed.
   */
  // Async so that an invalid argument rejects, as in every cache.
  // deno-lint-ignore require-await
  async putActionResult(
    action: Digest,
    bytes: Uint8Array,
    options: PutActionResultOptions = {},
  ): Promise<void> {
    checkDigest(action);
    const requires = (options.requires ?? []).map(checkDigest);
    if (!this.#writable || !this.#actionCache) return;
    const copy = bytes.slice();
    this.#uploads.afterBlobs(
      requires,
      () =>
        this.#write("store an action result", async (remote) => {
          if (!remote.capabilities.actionCacheUpdateEnabled) {
            this.#stopWrites(
              `${this.name} does not let clients write its action cache: results are not uploaded`,
            );
            return;
          }
          await remote.actionCache.update(action, copy);
          this.#uploaded += copy.length;
        }),
    );
  }

  /**
   * Which of these blobs the server lacks; all of them when it cannot be
   * asked.
   *
   * @param digests The blobs.
   * @returns Those missing, in the order given.
   * @throws {TypeError} When a digest is malformed.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    digests.forEach(checkDigest);
    const missing = await this.#read("look blobs up", (remote) => remote.cas.findMissing(digests));
    if (missing === undefined) return [...digests];
    const keys = new Set(missing.map(digestKey));
    const absent = digests.filter((digest) => keys.has(digestKey(digest)));
    for (const digest of digests) if (!keys.has(digestKey(digest))) this.#uploads.present(digest);
    return absent;
  }

  /**
   * A blob's content, checked against its digest.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` on a miss or a damaged blob.
   * @throws {TypeError} When the digest is malformed.
   */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    checkDigest(digest);
    if (digest.sizeBytes === 0) return new Uint8Array();
    const bytes = await this.#read("download a blob", (remote) => remote.download(digest));
    this.#downloaded += bytes?.length ?? 0;
    return bytes;
  }

  /**
   * Writes a blob to a path: downloaded beside it, checked, then renamed
   * over it, so that `path` is never half written nor wrong.
   *
   * @param digest The blob.
   * @param path Where to write it (parents created).
   * @param options Whether the file is executable.
   * @returns Whether the blob was found, intact, and written.
   * @throws {TypeError} When the digest is malformed.
   */
  async getBlobToFile(
    digest: Digest,
    path: string,
    options: GrpcRestoreOptions = {},
  ): Promise<boolean> {
    checkDigest(digest);
    const mode = options.executable ? 0o755 : 0o644;
    if (digest.sizeBytes === 0) {
      await writeFileWhole(path, new Uint8Array());
      await Deno.chmod(path, mode);
      return true;
    }
    const temp = tempBeside(path);
    try {
      const found = await this.#read("download a blob", async (remote) => {
        if (!await remote.downloadToFile(digest, temp)) return false;
        await Deno.chmod(temp, mode);
        await Deno.rename(temp, path);
        return true;
      });
      if (found) this.#downloaded += digest.sizeBytes;
      return found ?? false;
    } finally {
      await Deno.remove(temp).catch(() => {});
    }
  }

  /**
   * Queues a blob's upload from bytes (when uploads are on), unless the
   * server is known to hold it.
   *
   * @param digest The content's digest.
   * @param bytes The content (copied).
   * @throws {DigestMismatchError} When the bytes do not have that digest.
   */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    checkDigest(digest);
    if (!this.#writable || this.#uploads.knows(digest)) return;
    const actual = await sha256Digest(bytes);
    if (!sameDigest(actual, digest)) throw new DigestMismatchError("bytes", digest, actual);
    const copy = bytes.slice();
    this.#uploadBlob(digest, { digest, data: copy });
  }

  /**
   * Queues a blob's upload from a file (when uploads are on). The file is
   * read when the upload runs and checked against the digest first: a file
   * that changed meanwhile is not uploaded (a warning).
   *
   * @param digest The file's digest.
   * @param path The file.
   * @throws {TypeError} When the digest is malformed.
   */
  // Async so that an invalid argument rejects, as in every cache.
  // deno-lint-ignore require-await
  async putBlobFromFile(digest: Digest, path: string): Promise<void> {
    checkDigest(digest);
    if (!this.#writable || this.#uploads.knows(digest)) return;
    this.#uploadBlob(digest, { digest, path }, async () => {
      const actual = await fileDigest(path);
      if (!sameDigest(actual, digest)) throw new DigestMismatchError(path, digest, actual);
    });
  }

  #uploadBlob(
    digest: Digest,
    source: { digest: Digest; data: Uint8Array } | { digest: Digest; path: string },
    check?: () => Promise<void>,
  ): void {
    this.#uploads.blob(digest, async () => {
      await check?.();
      const uploaded = await this.#write(
        "upload a blob",
        (remote) => remote.uploadMissing([source]),
      );
      if (uploaded === undefined) return false;
      this.#uploaded += uploaded.reduce((sum, d) => sum + d.sizeBytes, 0);
      return true;
    });
  }

  /**
   * Waits for the queued uploads, at most `timeoutMs`; those unfinished then
   * are abandoned with one warning, and no upload starts afterwards.
   *
   * @param timeoutMs The longest wait.
   * @returns Whether every upload finished (successfully or not) in time.
   */
  async flush(timeoutMs = 60_000): Promise<boolean> {
    const unfinished = await this.#uploads.flush(timeoutMs);
    if (unfinished === 0) return true;
    this.#writable = false;
    this.#warn(
      "flush",
      `${unfinished} upload(s) to the remote cache ${this.name} unfinished after ${timeoutMs} ms: abandoned`,
    );
    return false;
  }

  /** Abandons uploads and closes the connection. */
  close(): void {
    this.#uploads.abandon();
    const remote = this.#remote;
    this.#remote = undefined;
    this.#readable = false;
    this.#writable = false;
    remote?.then((r) => r.close(), () => {});
  }

  #read<T>(what: string, f: (remote: Remote) => Promise<T>): Promise<T | undefined> {
    return this.#readable ? this.#use(what, false, f) : Promise.resolve(undefined);
  }

  #write<T>(what: string, f: (remote: Remote) => Promise<T>): Promise<T | undefined> {
    return this.#writable && this.#readable ? this.#use(what, true, f) : Promise.resolve(undefined);
  }

  async #use<T>(
    what: string,
    write: boolean,
    f: (remote: Remote) => Promise<T>,
  ): Promise<T | undefined> {
    let remote: Remote;
    try {
      this.#remote ??= connectRemote(this.#endpoint, this.#options);
      remote = await this.#remote;
    } catch (error) {
      // Unreachable, refused, or a channel that cannot be made (TLS to an
      // address): the build goes on without the cache either way.
      this.#down((error as Error).message);
      return undefined;
    }
    try {
      return await f(remote);
    } catch (error) {
      // A call cut by close() fails with CANCELLED: nothing to report.
      if (this.#readable) this.#failed(what, error, write);
      return undefined;
    }
  }

  /** Turns a failed call into the state it leaves the cache in, and a warning. */
  #failed(what: string, error: unknown, write = true): void {
    if (!this.#readable && !this.#writable) return;
    if (!(error instanceof RemoteError)) {
      const message = (error as Error)?.message ?? String(error);
      this.#warn(`error ${message}`, `Remote cache ${this.name}: ${message}`);
      return;
    }
    const code = error.code;
    if (code === GrpcCode.UNAVAILABLE || code === GrpcCode.DEADLINE_EXCEEDED) {
      this.#down(error.message);
    } else if (code === GrpcCode.UNIMPLEMENTED && error.method.startsWith("ActionCache.")) {
      this.#actionCache = false;
      this.#warn(
        "no action cache",
        `Remote cache ${this.name} offers no action cache, so nothing is found in it: ${error.message}`,
      );
    } else if (_REFUSED.has(code)) {
      if (write) {
        this.#stopWrites(`Cannot ${what} in the remote cache: ${error.message}; uploads stop`);
      } else this.#down(error.message);
    } else if (code === GrpcCode.DATA_LOSS) {
      this.#warn(
        `corrupt ${error.details}`,
        `Remote cache ${this.name}: ${error.message}: treated as a miss`,
      );
    } else {
      this.#warn(`error ${error.message}`, `Cannot ${what} in the remote cache: ${error.message}`);
    }
  }

  #down(reason: string): void {
    const wasUp = this.#readable;
    this.#readable = false;
    this.#writable = false;
    if (wasUp) {
      this.#warn(
        "down",
        `Remote cache ${this.name} is unavailable (${reason}): going on without it`,
      );
    }
  }

  #stopWrites(message: string): void {
    this.#writable = false;
    this.#warn("writes", message);
  }

  #warn(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    (this.#options.onWarning ?? console.warn)(message);
  }
}

/** Failures that say the server will not do this for this client. */
const _REFUSED = new Set<number>([
  GrpcCode.UNAUTHENTICATED,
  GrpcCode.PERMISSION_DENIED,
  GrpcCode.UNIMPLEMENTED,
]);
