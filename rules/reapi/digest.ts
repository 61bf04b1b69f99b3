/**
 * SHA-256 digests of bytes and files, the content addresses of the Remote
 * Execution API.
 *
 * Hashing uses `node:crypto`, imported the first time a digest is asked for
 * (the import costs tens of milliseconds at start-up, and builds without a
 * cache never pay it). Once loaded it hashes a small buffer in about 5 µs,
 * where WebCrypto's `digest()` takes about 80 µs, and it hashes a stream
 * chunk by chunk, which WebCrypto cannot.
 *
 * @module
 */

import type { Digest } from "./messages.ts";

export type { Digest };

/**
 * The digest of the empty blob, which CAS servers need not be sent.
 *
 * @example Skipping empty blobs
 * ```ts
 * import { EMPTY_DIGEST, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await sha256Digest(new Uint8Array()), EMPTY_DIGEST);
 * ```
 */
export const EMPTY_DIGEST: Readonly<Digest> = Object.freeze({
  hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  sizeBytes: 0,
});

/**
 * The size of the chunks {@linkcode fileDigest} reads: 1 MiB.
 *
 * @example A tenth of it
 * ```ts
 * import { DEFAULT_CHUNK_SIZE } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CHUNK_SIZE, 1024 * 1024);
 * ```
 */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

/**
 * A SHA-256 hasher fed chunk by chunk; see {@linkcode createDigester}.
 *
 * @example Hashing a stream
 * ```ts
 * import { createDigester, type Digester } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digester: Digester = await createDigester();
 * for await (const chunk of ReadableStream.from([new Uint8Array(3), new Uint8Array(4)])) {
 *   digester.update(chunk);
 * }
 * assert.equal(digester.digest().sizeBytes, 7);
 * ```
 */
export interface Digester {
  /** Hashes `chunk` next; the chunk may be reused once this returns. */
  update(chunk: Uint8Array): void;
  /** The digest of everything given so far; the digester is then done. */
  digest(): Digest;
}

/**
 * Options of {@linkcode fileDigest}.
 *
 * @example Small chunks
 * ```ts
 * import { fileDigest, type FileDigestOptions } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const options: FileDigestOptions = { chunkSize: 4096 };
 * assert.equal((await fileDigest("/dev/null", options)).sizeBytes, 0);
 * ```
 */
export interface FileDigestOptions {
  /**
   * How many bytes to read at a time; memory use stays at one chunk
   * whatever the file's size.
   *
   * @default {1048576}
   */
  chunkSize?: number;
}

type _CreateHash = typeof import("node:crypto").createHash;

let _createHash: _CreateHash | undefined;
let _loading: Promise<_CreateHash> | undefined;

/** `node:crypto`'s `createHash`, imported once, on first use. */
function _loadCreateHash(): Promise<_CreateHash> | _CreateHash {
  if (_createHash !== undefined) return _createHash;
  _loading ??= import("node:crypto").then((crypto) => (_createHash = crypto.createHash));
  return _loading;
}

/**
 * Starts hashing a stream of chunks, for example a download verified while
 * it is written to disk.
 *
 * @returns A {@linkcode Digester}, once `node:crypto` is loaded.
 *
 * @example Two chunks hash like their concatenation
 * ```ts
 * import { createDigester, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digester = await createDigester();
 * digester.update(new TextEncoder().encode("hello, "));
 * digester.update(new TextEncoder().encode("world"));
 * assert.deepEqual(digester.digest(), await sha256Digest(new TextEncoder().encode("hello, world")));
 * ```
 */
export async function createDigester(): Promise<Digester> {
  const createHash = await _loadCreateHash();
  const hash = createHash("sha256");
  let size = 0;
  return {
    update(chunk: Uint8Array): void {
      hash.update(chunk);
      size += chunk.length;
    },
    digest(): Digest {
      return { hash: hash.digest("hex"), sizeBytes: size };
    },
  };
}

/**
 * The SHA-256 digest of bytes in memory.
 *
 * Asynchronous only for its first call, which loads `node:crypto`; see
 * {@linkcode sha256DigestSync} for a synchronous variant once loaded.
 *
 * @param bytes The blob.
 * @returns Its digest: lowercase hex hash and size.
 *
 * @example "abc", the FIPS 180-2 test vector
 * ```ts
 * import { sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = await sha256Digest(new TextEncoder().encode("abc"));
 * assert.deepEqual(digest, {
 *   hash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 *   sizeBytes: 3,
 * });
 * ```
 */
export async function sha256Digest(bytes: Uint8Array): Promise<Digest> {
  const createHash = await _loadCreateHash();
  return { hash: createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.length };
}

/**
 * The SHA-256 digest of bytes in memory, computed synchronously; `undefined`
 * until `node:crypto` is loaded (by any other function of this module, or
 * by awaiting {@linkcode loadDigests}).
 *
 * @param bytes The blob.
 * @returns Its digest, or `undefined` before loading.
 *
 * @example After loading
 * ```ts
 * import { loadDigests, sha256DigestSync } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * await loadDigests();
 * assert.equal(sha256DigestSync(new Uint8Array())?.hash.slice(0, 8), "e3b0c442");
 * ```
 */
export function sha256DigestSync(bytes: Uint8Array): Digest | undefined {
  if (_createHash === undefined) return undefined;
  return { hash: _createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.length };
}

/**
 * Loads `node:crypto` now, so that {@linkcode sha256DigestSync} works.
 *
 * @example Loading twice is free
 * ```ts
 * import { loadDigests } from "./digest.ts";
 *
 * await loadDigests();
 * await loadDigests();
 * ```
 */
export async function loadDigests(): Promise<void> {
  await _loadCreateHash();
}

/**
 * The SHA-256 digest of a file, read in chunks so that memory stays small
 * whatever its size (a 2.5 GB output costs one chunk of memory).
 *
 * The size is the number of bytes read, so digest and size agree even if
 * the file changes meanwhile (then the digest is of what was read).
 *
 * @param path The file.
 * @param options The chunk size.
 * @returns Its digest.
 *
 * @example A file digest equals the digest of its bytes
 * ```ts
 * import { fileDigest, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * const bytes = new TextEncoder().encode("int main() { return 0; }\n");
 * await Deno.writeFile(path, bytes);
 * assert.deepEqual(await fileDigest(path, { chunkSize: 7 }), await sha256Digest(bytes));
 * await Deno.remove(path);
 * ```
 */
export async function fileDigest(path: string | URL, options?: FileDigestOptions): Promise<Digest> {
  const chunkSize = options?.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(
      `Cannot hash "${path}": chunk size ${chunkSize} is not a positive integer`,
    );
  }
  const digester = await createDigester();
  const buffer = new Uint8Array(chunkSize);
  using file = await Deno.open(path, { read: true });
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    digester.update(buffer.subarray(0, n));
  }
  return digester.digest();
}

/**
 * A digest as one string, `hash/size`: the form REAPI's resource names use,
 * and a key for maps of digests.
 *
 * @param digest The digest.
 * @returns `${hash}/${sizeBytes}`.
 *
 * @example The empty blob
 * ```ts
 * import { digestKey, EMPTY_DIGEST } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(digestKey(EMPTY_DIGEST), `${EMPTY_DIGEST.hash}/0`);
 * ```
 */
export function digestKey(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}

const _SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Whether a digest is well formed: 64 lowercase hex characters and a size
 * that is a safe non-negative integer. Check digests from servers before
 * using their hash in a file name.
 *
 * @param digest The digest to check.
 * @returns `true` when it is well formed.
 *
 * @example A path in place of a hash is refused
 * ```ts
 * import { EMPTY_DIGEST, isValidDigest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidDigest(EMPTY_DIGEST), true);
 * assert.equal(isValidDigest({ hash: "../../etc/passwd", sizeBytes: 0 }), false);
 * assert.equal(isValidDigest({ hash: EMPTY_DIGEST.hash.toUpperCase(), sizeBytes: 0 }), false);
 * ```
 */
export function isValidDigest(digest: Digest): boolean {
  return _SHA256_HEX.test(digest.hash) && Number.isSafeInteger(digest.sizeBytes) &&
    digest.sizeBytes >= 0;
}

/**
 * Checks a digest before its hash becomes part of a file name or a URL:
 * throws unless it is well formed (see {@linkcode isValidDigest}).
 *
 * @param digest The digest to check.
 * @returns The same digest.
 * @throws {TypeError} If the hash is not 64 lowercase hex digits or the size
 * is not a safe non-negative integer.
 *
 * @example A path in place of a hash is refused
 * ```ts
 * import { checkDigest, EMPTY_DIGEST } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkDigest(EMPTY_DIGEST), EMPTY_DIGEST);
 * assert.throws(() => checkDigest({ hash: "../etc/passwd", sizeBytes: 1 }), TypeError);
 * assert.throws(() => checkDigest({ hash: EMPTY_DIGEST.hash, sizeBytes: -1 }), TypeError);
 * ```
 */
export function checkDigest<D extends Digest>(digest: D): D {
  if (isValidDigest(digest)) return digest;
  throw new TypeError(
    `Cannot use ${JSON.stringify(digest?.hash)}/${digest?.sizeBytes} as a digest: ` +
      "expected a SHA-256 as 64 lowercase hex digits and a size that is a whole number of bytes",
  );
}

/**
 * Whether two digests name the same content: same hash, same size.
 *
 * @param a A digest.
 * @param b Another digest.
 * @returns `true` when both fields are equal.
 *
 * @example Checking content against the digest it was given under
 * ```ts
 * import { sameDigest, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const hello = await sha256Digest(new TextEncoder().encode("hello"));
 * assert.equal(sameDigest(hello, { ...hello }), true);
 * assert.equal(sameDigest(hello, { ...hello, sizeBytes: 4 }), false);
 * ```
 */
export function sameDigest(a: Digest, b: Digest): boolean {
  return a.hash === b.hash && a.sizeBytes === b.sizeBytes;
}
