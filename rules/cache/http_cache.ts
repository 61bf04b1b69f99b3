/**
 * A client of Bazel's HTTP remote-cache protocol: `GET`, `PUT` and `HEAD` on
 * `<url>/ac/<key>` (action results) and `<url>/cas/<sha256>` (blobs), a 404
 * being a miss. nginx or Apache with WebDAV, bazel-remote and the hosted
 * Bazel caches all speak it.
 *
 * Never worse than no cache:
 * - every request is bounded: the first connection by `connectTimeoutMs`,
 *   then any wait for a response or for the next piece of a body by
 *   `requestTimeoutMs`;
 * - network errors and 5xx answers are retried a few times with backoff;
 * - a server that stays down, answers too slowly, or refuses reads gets one
 *   warning, and the client treats every later call as a miss (and skips
 *   every upload) for the rest of its life;
 * - uploads run in the background, a few at a time; {@linkcode HttpCache.flush}
 *   waits for them at the end of a build, for a bounded time;
 * - a downloaded blob is streamed to a temporary file while its SHA-256 and
 *   size are checked: a server stores whatever bytes are put under any name,
 *   so a blob that does not match its digest is a miss and a warning, never
 *   an output. Action results are returned as bytes for the caller to check.
 *
 * Credentials come from the URL's user information (basic auth) or from
 * extra headers (`BARCHAN_REMOTE_CACHE_HEADERS`, see
 * {@linkcode parseCacheHeaders}); they never appear in messages.
 *
 * @module
 */

import { Throttle } from "../../fiber/throttle.ts";
import { UploadQueue } from "./upload_queue.ts";
import type { PutActionResultOptions, RemoteCacheBackend, RestoreOptions } from "./backend.ts";
import { remoteCacheHeaders } from "./cache_headers.ts";
import {
  checkDigest,
  createDigester,
  type Digest,
  type Digester,
  digestKey,
  sameDigest,
  sha256Digest,
} from "../reapi/digest.ts";
import { DigestMismatchError } from "./errors.ts";
import { parentOf, removeQuietly, tempBeside, writeAll } from "./_files.ts";
import {
  describeFailure,
  discardBody,
  localCause,
  probe,
  readBody,
  readBodyUpTo,
  sleep,
  usesProxy,
  Watchdog,
} from "./_http.ts";

/**
 * Options for {@linkcode HttpCache}.
 *
 * @example A client for trusted CI, with a token and short time-outs
 * ```ts
 * import { HttpCache, type HttpCacheOptions } from "./http_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const options: HttpCacheOptions = {
 *   headers: { authorization: "Bearer t0ken" },
 *   upload: true,
 *   connectTimeoutMs: 1_000,
 *   requestTimeoutMs: 5_000,
 *   retries: 1,
 * };
 * const cache = new HttpCache("https://user:pw@cache.example.com/ci/", options);
 * assert.equal(cache.name, "https://cache.example.com/ci");
 * cache.close();
 * ```
 */
export interface HttpCacheOptions {
  /**
   * Extra request headers, such as `Authorization`.
   *
   * @default {remoteCacheHeaders()} (from `BARCHAN_REMOTE_CACHE_HEADERS`)
   */
  headers?: Record<string, string>;
  /**
   * Whether puts upload at all: clients read only unless trusted to write
   * (`--remote-cache-upload`).
   *
   * @default {false}
   */
  upload?: boolean;
  /**
   * The longest wait for the first connection to the server.
   *
   * @default {5000}
   */
  connectTimeoutMs?: number;
  /**
   * The longest wait for a response, and for each next piece of a body.
   *
   * @default {20000}
   */
  requestTimeoutMs?: number;
  /**
   * How many times a request that met a network error or a 5xx answer is
   * sent again, after 100 ms, 400 ms, 1.6 s... (see `retryDelayMs`).
   *
   * @default {2}
   */
  retries?: number;
  /**
   * The wait before the first retry; each next one waits four times longer.
   *
   * @default {100}
   */
  retryDelayMs?: number;
  /**
   * How many uploads run at once.
   *
   * @default {4}
   */
  uploadConcurrency?: number;
  /**
   * How many `HEAD` requests {@linkcode HttpCache.findMissing} sends at once.
   *
   * @default {8}
   */
  lookupConcurrency?: number;
  /**
   * The largest action result accepted; a larger answer is a miss.
   *
   * @default {16 MiB}
   */
  maxActionResultBytes?: number;
  /**
   * Receives warnings: the server is down, slow, refuses access; a blob is
   * corrupt. Each is given once.
   *
   * @default {console.warn}
   */
  onWarning?: (message: string) => void;
}

/** Blobs up to this size are uploaded from memory, with a Content-Length; larger ones streamed. */
const IN_MEMORY_UPLOAD = 4 * 1024 * 1024;
/** Blobs above this size are looked for (`HEAD`) before they are uploaded. */
const LOOK_BEFORE_UPLOAD = 1024 * 1024;
const CHUNK = 256 * 1024;

interface Request {
  method: "GET" | "HEAD" | "PUT";
  path: string;
  write: boolean;
  headers?: Record<string, string>;
  body?: () => BodyInit;
  /** The error that made this process stop sending the body, if any. */
  bodyError?: () => Error | undefined;
}

/**
 * An action cache on a server that speaks Bazel's HTTP cache protocol.
 *
 * @example Reading from a cache that is not there: a miss and one warning
 * ```ts
 * import { HttpCache } from "./http_cache.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * const warnings: string[] = [];
 * const cache = new HttpCache(`http://127.0.0.1:${port}/cache`, {
 *   headers: {},
 *   onWarning: (message) => warnings.push(message),
 * });
 * assert.equal(await cache.getActionResult({ hash: "0".repeat(64), sizeBytes: 140 }), undefined);
 * assert.equal(await cache.getActionResult({ hash: "1".repeat(64), sizeBytes: 140 }), undefined);
 * assert.equal(warnings.length, 1);
 * assert.equal(cache.available, false);
 * cache.close();
 * ```
 */
export class HttpCache implements RemoteCacheBackend {
  /** The server's URL without credentials, for messages. */
  readonly name: string;
  #base: string;
  #hostname: string;
  #port: number;
  #headers: Record<string, string>;
  #upload: boolean;
  #connectTimeoutMs: number;
  #requestTimeoutMs: number;
  #retries: number;
  #retryDelayMs: number;
  #maxActionResultBytes: number;
  #onWarning: (message: string) => void;
  #client: Deno.HttpClient;
  #closing = new AbortController();
  #uploadSignal: AbortSignal;
  #uploads: UploadQueue;
  #lookups: Throttle;
  #probed: Promise<boolean> | undefined;
  #readable = true;
  #writable: boolean;
  #warned = new Set<string>();
  #downloaded = 0;
  #uploaded = 0;

  /**
   * Creates a client; it connects on first use.
   *
   * @param url The cache's base URL, `http://` or `https://`, with optional
   * `user:password@` for basic auth.
   * @param options Headers, uploads, time-outs, retries, concurrency,
   * warnings.
   * @throws {TypeError} If the URL is not an http(s) URL.
   */
  constructor(url: string, options: HttpCacheOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      parsed = new URL("invalid:");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new TypeError(
        `Cannot use ${
          JSON.stringify(_redact(url))
        } as a remote cache: expected an http:// or https:// URL`,
      );
    }
    const headers = { ...(options.headers ?? remoteCacheHeaders()) };
    if (parsed.username !== "" && headers["authorization"] === undefined) {
      const credentials = `${decodeURIComponent(parsed.username)}:${
        decodeURIComponent(parsed.password)
      }`;
      headers["authorization"] = `Basic ${_base64(credentials)}`;
    }
    parsed.username = "";
    parsed.password = "";
    this.#base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    this.name = this.#base;
    this.#hostname = parsed.hostname.replace(/^\[|\]$/g, "");
    this.#port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
    this.#headers = headers;
    this.#upload = options.upload ?? false;
    this.#writable = this.#upload;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.#retries = options.retries ?? 2;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#maxActionResultBytes = options.maxActionResultBytes ?? 16 * 1024 * 1024;
    this.#onWarning = options.onWarning ?? ((message) => console.warn(message));
    this.#uploads = new UploadQueue({
      concurrency: options.uploadConcurrency ?? 4,
      onError: (error) => this.#failed(error),
    });
    this.#lookups = new Throttle(options.lookupConcurrency ?? 8);
    this.#uploadSignal = AbortSignal.any([this.#closing.signal, this.#uploads.signal]);
    this.#client = Deno.createHttpClient({});
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
   * The action result stored for an action, unchecked.
   *
   * @param action The action's digest; the URL names its hash.
   * @returns The bytes, or `undefined` on a miss (or when the server fails).
   */
  async getActionResult(action: Digest): Promise<Uint8Array | undefined> {
    const hash = checkDigest(action).hash;
    const path = `/ac/${hash}`;
    return await this.#guard(() =>
      this.#exchange({ method: "GET", path, write: false }, async (response, watchdog) => {
        if (response.status === 404) return void await discardBody(response);
        if (!this.#expect(response, 200)) return undefined;
        const bytes = await readBodyUpTo(response, watchdog, this.#maxActionResultBytes);
        if (bytes === undefined) {
          this.#warn(
            `large ${hash}`,
            `Action result ${hash} from the remote cache ${this.name} is larger than ${this.#maxActionResultBytes} bytes: treated as a miss`,
          );
        }
        this.#downloaded += bytes?.length ?? 0;
        return bytes;
      })
    );
  }

  /**
   * Queues the upload of an action result (when uploads are on), to run
   * once the blobs it requires are uploaded; skipped if one of them failed.
   *
   * @param action The action's digest; the URL names its hash.
   * @param bytes The encoded action result (copied).
   * @param options The blobs it refers to.
   */
  // Async so that an invalid argument rejects, as in every cache.
  // deno-lint-ignore require-await
  async putActionResult(
    action: Digest,
    bytes: Uint8Array,
    options: PutActionResultOptions = {},
  ): Promise<void> {
    const hash = checkDigest(action).hash;
    const path = `/ac/${hash}`;
    const requires = (options.requires ?? []).map(checkDigest);
    if (!this.#writable) return;
    const copy = bytes.slice();
    this.#uploads.afterBlobs(
      requires,
      () =>
        this.#exchange({ method: "PUT", path, write: true, body: () => copy }, (response) => {
          return this.#stored(response, `action result ${hash}`, copy.length);
        }),
    );
  }

  /**
   * Which blobs the server lacks, by a `HEAD` request for each (a few at a
   * time). When the server fails, all are missing.
   *
   * @param digests The blobs.
   * @returns The missing ones, in order.
   */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    digests.forEach(checkDigest);
    const found = await Promise.all(
      digests.map((digest) => this.#lookups.run(() => this.#guard(() => this.#has(digest)))),
    );
    return digests.filter((_, i) => found[i] !== true);
  }

  async #has(digest: Digest): Promise<boolean | undefined> {
    const request = { method: "HEAD", path: `/cas/${digest.hash}`, write: false } as const;
    const present = await this.#exchange(request, async (response) => {
      await discardBody(response);
      if (response.status === 404) return false;
      if (!this.#expect(response, 200)) return undefined;
      const length = response.headers.get("content-length");
      return length === null || Number(length) === digest.sizeBytes;
    });
    if (present === true) this.#uploads.present(digest);
    return present;
  }

  /**
   * A small blob's content, checked against its digest.
   *
   * @param digest The blob.
   * @returns The content, or `undefined` on a miss or a corrupt blob.
   */
  async getBlob(digest: Digest): Promise<Uint8Array | undefined> {
    const path = `/cas/${checkDigest(digest).hash}`;
    return await this.#guard(() =>
      this.#exchange({ method: "GET", path, write: false }, async (response, watchdog) => {
        if (response.status === 404) return void await discardBody(response);
        if (!this.#expect(response, 200) || !this.#lengthMatches(response, digest)) {
          return undefined;
        }
        const bytes = await readBodyUpTo(response, watchdog, digest.sizeBytes);
        const actual = bytes && await sha256Digest(bytes);
        if (actual !== undefined && sameDigest(actual, digest)) {
          this.#downloaded += bytes!.length;
          return bytes;
        }
        this.#corrupt(digest, actual);
        return undefined;
      })
    );
  }

  /**
   * Downloads a blob to `path`: streamed to a temporary file beside it while
   * its SHA-256 and size are checked, then renamed over `path`. A corrupt
   * blob leaves `path` as it was.
   *
   * @param digest The blob.
   * @param path Where to write it; parent directories are created.
   * @param options Whether the file is executable.
   * @returns Whether the blob was found, intact, and written.
   */
  async getBlobToFile(
    digest: Digest,
    path: string,
    options: RestoreOptions = {},
  ): Promise<boolean> {
    const request: Request = {
      method: "GET",
      path: `/cas/${checkDigest(digest).hash}`,
      write: false,
    };
    const done = await this.#guard(() =>
      this.#exchange(request, async (response, watchdog) => {
        if (response.status === 404) return void await discardBody(response);
        if (!this.#expect(response, 200) || !this.#lengthMatches(response, digest)) {
          return undefined;
        }
        const tmp = tempBeside(path);
        try {
          const actual = await this.#download(response, watchdog, digest, tmp);
          if (!sameDigest(actual, digest)) {
            this.#corrupt(digest, actual);
            return undefined;
          }
          await Deno.chmod(tmp, options.executable ? 0o755 : 0o644);
          await Deno.rename(tmp, path);
          this.#downloaded += digest.sizeBytes;
          return true;
        } finally {
          await removeQuietly(tmp);
        }
      })
    );
    return done === true;
  }

  async #download(
    response: Response,
    watchdog: Watchdog,
    digest: Digest,
    tmp: string,
  ): Promise<Digest> {
    await Deno.mkdir(parentOf(tmp), { recursive: true });
    using file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    const digester = await createDigester();
    let sizeBytes = 0;
    await readBody(response, watchdog, async (chunk) => {
      sizeBytes += chunk.length;
      if (sizeBytes > digest.sizeBytes) return false;
      digester.update(chunk);
      await writeAll(file, chunk);
      return true;
    });
    return sizeBytes > digest.sizeBytes ? { hash: "", sizeBytes } : digester.digest();
  }

  /**
   * Queues the upload of a blob from bytes (when uploads are on); a blob
   * already uploaded or found on the server is skipped.
   *
   * @param digest The blob's digest.
   * @param bytes The content (copied).
   * @throws {DigestMismatchError} If the bytes do not have that digest.
   */
  async putBlob(digest: Digest, bytes: Uint8Array): Promise<void> {
    checkDigest(digest);
    if (!this.#writable || this.#uploads.knows(digest)) return;
    const actual = await sha256Digest(bytes);
    if (!sameDigest(actual, digest)) {
      throw new DigestMismatchError("bytes", digest, actual);
    }
    const copy = bytes.slice();
    this.#uploadBlob(digest, () => () => copy);
  }

  /**
   * Queues the upload of a blob from a file (when uploads are on). The file
   * is read when the upload runs and checked against the digest on the way;
   * a file that changed meanwhile is not uploaded (a warning).
   *
   * @param digest The file's digest.
   * @param path The file.
   */
  // Async so that an invalid argument rejects, as in every cache.
  // deno-lint-ignore require-await
  async putBlobFromFile(digest: Digest, path: string): Promise<void> {
    checkDigest(digest);
    if (!this.#writable || this.#uploads.knows(digest)) return;
    if (digest.sizeBytes <= IN_MEMORY_UPLOAD) {
      this.#uploadBlob(digest, async () => {
        const bytes = await Deno.readFile(path);
        const actual = await sha256Digest(bytes);
        if (!sameDigest(actual, digest)) {
          throw new DigestMismatchError(path, digest, actual);
        }
        return () => bytes;
      });
    } else {
      let bodyError: Error | undefined;
      this.#uploadBlob(
        digest,
        () => () => _checkedFileStream(path, digest, (error) => bodyError = error),
        () => bodyError,
      );
    }
  }

  /** Queues a blob's upload; `prepare` reads its content when the upload runs. */
  #uploadBlob(
    digest: Digest,
    prepare: () => Promise<() => BodyInit> | (() => BodyInit),
    bodyError?: () => Error | undefined,
  ): void {
    const path = `/cas/${digest.hash}`;
    this.#uploads.blob(digest, async () => {
      if (!this.#writable) return false;
      if (digest.sizeBytes > LOOK_BEFORE_UPLOAD && await this.#has(digest)) return true;
      const body = await prepare();
      const request: Request = { method: "PUT", path, write: true, body, bodyError };
      const stored = await this.#exchange(request, (response) => {
        return this.#stored(response, `blob ${digestKey(digest)}`, digest.sizeBytes);
      });
      return stored === true;
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

  /** Abandons running requests and uploads, and releases the connections. */
  close(): void {
    this.#readable = false;
    this.#writable = false;
    this.#closing.abort();
    this.#uploads.abandon();
    this.#client.close();
  }

  /**
   * Runs a call so that nothing escapes it: an error of this process (a
   * file, a digest) becomes a warning, anything else a warning too.
   */
  async #guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  #failed(error: unknown): void {
    if (this.#closing.signal.aborted) return;
    const local = localCause(error);
    const message = (local ?? error as Error)?.message ?? String(error);
    this.#warn(`error ${message}`, `Remote cache ${this.name}: ${message}`);
  }

  /**
   * Sends a request and hands the response to `handle`, which reads its
   * body. Retries network errors and 5xx answers; gives up on the server
   * (one warning) when they persist, when it does not answer in time, or
   * when it refuses access. Errors of this process are thrown.
   *
   * @returns What `handle` returns, or `undefined` when the server failed.
   */
  async #exchange<T>(
    request: Request,
    handle: (response: Response, watchdog: Watchdog) => Promise<T>,
  ): Promise<T | undefined> {
    if (!(request.write ? this.#writable : this.#readable)) return undefined;
    if (!await this.#reachable()) return undefined;
    const what = `${request.method} ${request.path}`;
    for (let attempt = 0;; attempt++) {
      const signal = request.write ? this.#uploadSignal : this.#closing.signal;
      const watchdog = new Watchdog(this.#requestTimeoutMs, signal);
      let failure: string;
      try {
        const response = await fetch(`${this.#base}${request.path}`, {
          method: request.method,
          headers: { ...this.#headers, ...request.headers },
          body: request.body?.(),
          signal: watchdog.signal,
          client: this.#client,
        });
        if (response.status >= 500) {
          await discardBody(response);
          failure = `${response.status} ${response.statusText} on ${what}`.trim();
        } else if (response.status === 401 || response.status === 403) {
          await discardBody(response);
          this.#refused(request, response.status);
          return undefined;
        } else {
          return await handle(response, watchdog);
        }
      } catch (error) {
        if (signal.aborted) return undefined;
        const local = localCause(error) ?? request.bodyError?.();
        if (local !== undefined) throw local;
        if (watchdog.fired) {
          this.#down(`it did not answer ${what} within ${this.#requestTimeoutMs} ms`);
          return undefined;
        }
        failure = `${describeFailure(error)} on ${what}`;
      } finally {
        watchdog.clear();
      }
      if (attempt >= this.#retries) {
        if (request.write && failure.match(/^5/)) {
          this.#writable = false;
          this.#warn(
            "write",
            `Remote cache ${this.name} failed to store (${failure}): uploads stop`,
          );
        } else {
          this.#down(failure);
        }
        return undefined;
      }
      await sleep(this.#retryDelayMs * 4 ** attempt, signal);
    }
  }

  /** Whether the server accepts connections, checked once, within the connect time-out. */
  #reachable(): Promise<boolean> {
    this.#probed ??= (async () => {
      if (usesProxy()) return true;
      const failure = await probe(this.#hostname, this.#port, this.#connectTimeoutMs);
      if (failure === undefined) return true;
      this.#down(failure);
      return false;
    })();
    return this.#probed;
  }

  #down(reason: string): void {
    const wasUp = this.#readable || this.#writable;
    this.#readable = false;
    this.#writable = false;
    if (wasUp) {
      this.#warn(
        "down",
        `Remote cache ${this.name} is unavailable (${reason}): going on without it`,
      );
    }
  }

  #refused(request: Request, status: number): void {
    const how = `${status} ${status === 401 ? "Unauthorized" : "Forbidden"}`;
    const fix = "check the credentials in the URL or in BARCHAN_REMOTE_CACHE_HEADERS";
    if (request.write) {
      this.#writable = false;
      this.#warn("refused write", `Remote cache ${this.name} refused an upload (${how}): ${fix}`);
    } else {
      this.#down(`${how} on ${request.method} ${request.path}; ${fix}`);
    }
  }

  /** Whether a response has the expected status; warns once per unexpected one. */
  #expect(response: Response, status: number): boolean {
    if (response.status === status) return true;
    void discardBody(response);
    this.#warn(
      `status ${response.status}`,
      `Remote cache ${this.name} answered ${response.status} ${response.statusText}: treated as a miss`,
    );
    return false;
  }

  async #stored(response: Response, what: string, size: number): Promise<boolean> {
    await discardBody(response);
    if (response.status >= 200 && response.status < 300) {
      this.#uploaded += size;
      return true;
    }
    this.#warn(
      `put ${response.status}`,
      `Remote cache ${this.name} did not store ${what}: ${response.status} ${response.statusText}`,
    );
    return false;
  }

  #lengthMatches(response: Response, digest: Digest): boolean {
    const length = response.headers.get("content-length");
    if (length === null || Number(length) === digest.sizeBytes) return true;
    void discardBody(response);
    this.#corrupt(digest, { hash: "", sizeBytes: Number(length) });
    return false;
  }

  #corrupt(digest: Digest, actual: Digest | undefined): void {
    const got = actual === undefined || actual.hash === ""
      ? `${actual?.sizeBytes ?? "more"} bytes`
      : `${actual.sizeBytes} bytes with SHA-256 ${actual.hash}`;
    this.#warn(
      `corrupt ${digest.hash}`,
      `Blob ${
        digestKey(digest)
      } from the remote cache ${this.name} is corrupt (got ${got}): treated as a miss`,
    );
  }

  #warn(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    this.#onWarning(message);
  }
}

/**
 * A file's content as a stream, checked against `digest` at its end: the
 * stream then fails, so that the request is aborted and nothing is stored.
 * `onError` learns why (fetch passes on only the message).
 */
function _checkedFileStream(
  path: string,
  digest: Digest,
  onError: (error: Error) => void,
): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | undefined;
  let digester: Digester;
  return new ReadableStream<Uint8Array>({
    async start() {
      try {
        file = await Deno.open(path);
      } catch (error) {
        onError(error as Error);
        throw error;
      }
      digester = await createDigester();
    },
    async pull(controller) {
      const chunk = new Uint8Array(CHUNK);
      const n = await file!.read(chunk);
      if (n === null) {
        file!.close();
        const actual = digester.digest();
        if (!sameDigest(actual, digest)) {
          const error = new DigestMismatchError(path, digest, actual);
          onError(error);
          controller.error(error);
        } else {
          controller.close();
        }
        return;
      }
      digester.update(chunk.subarray(0, n));
      controller.enqueue(chunk.subarray(0, n));
    },
    cancel() {
      file?.close();
    },
  });
}

function _base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function _redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}
