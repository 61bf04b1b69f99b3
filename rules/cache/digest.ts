/**
 * Content digests as the caches use them: a SHA-256 in lowercase hex and a
 * size in bytes, the shape of a Remote Execution API `Digest`.
 *
 * @module
 */

import { createSha256, sha256Hex } from "./_sha256.ts";

/**
 * A blob's identity: its SHA-256 and its size, as in REAPI's `Digest`
 * message.
 *
 * @example The digest of three bytes
 * ```ts
 * import { checkDigest, type Digest, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digest: Digest = await sha256Digest(new Uint8Array([1, 2, 3]));
 * assert.equal(digest.sizeBytes, 3);
 * assert.equal(checkDigest(digest), digest);
 * ```
 */
export interface Digest {
  /** The SHA-256 of the content, 64 lowercase hex digits. */
  hash: string;
  /** The content's length in bytes. */
  sizeBytes: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const CHUNK = 1 << 20;

/**
 * The digest of some bytes.
 *
 * @param bytes The content.
 * @returns Its SHA-256 and size.
 *
 * @example The digest of the empty blob
 * ```ts
 * import { sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = await sha256Digest(new Uint8Array());
 * assert.deepEqual(digest, {
 *   hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 *   sizeBytes: 0,
 * });
 * ```
 */
export async function sha256Digest(bytes: Uint8Array): Promise<Digest> {
  return { hash: await sha256Hex(bytes), sizeBytes: bytes.length };
}

/**
 * The digest of a file's content, read in chunks of 1 MiB so that a large
 * file is never held in memory whole.
 *
 * @param path The file.
 * @returns Its SHA-256 and size.
 *
 * @example Hashing a file
 * ```ts
 * import { fileDigest, sha256Digest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * const bytes = new TextEncoder().encode("hello");
 * assert.deepEqual(await fileDigest(path), await sha256Digest(bytes));
 * await Deno.remove(path);
 * ```
 */
export async function fileDigest(path: string): Promise<Digest> {
  using file = await Deno.open(path);
  const hash = await createSha256();
  const buffer = new Uint8Array(CHUNK);
  let sizeBytes = 0;
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
    sizeBytes += n;
  }
  return { hash: hash.hex(), sizeBytes };
}

/**
 * A digest as one string, `<hash>/<sizeBytes>`, for maps and messages.
 *
 * @param digest The digest.
 * @returns The key.
 *
 * @example A map key
 * ```ts
 * import { digestKey } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(digestKey({ hash: "ab".repeat(32), sizeBytes: 3 }), `${"ab".repeat(32)}/3`);
 * ```
 */
export function digestKey(digest: Digest): string {
  return `${digest.hash}/${digest.sizeBytes}`;
}

/**
 * Checks that a key names an entry: 64 lowercase hex digits (a SHA-256). Keys
 * become file and URL paths, so nothing else is accepted.
 *
 * @param hash The key of an action result or a blob.
 * @returns The key.
 * @throws {TypeError} If the key is not 64 lowercase hex digits.
 *
 * @example A valid and an invalid key
 * ```ts
 * import { checkHash } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkHash("0".repeat(64)), "0".repeat(64));
 * assert.throws(() => checkHash("../etc/passwd"), TypeError);
 * ```
 */
export function checkHash(hash: string): string {
  if (typeof hash === "string" && HEX64.test(hash)) return hash;
  throw new TypeError(
    `Cannot use ${
      JSON.stringify(hash)
    } as a cache key: expected a SHA-256 as 64 lowercase hex digits`,
  );
}

/**
 * Checks a digest: a valid hash (see {@linkcode checkHash}) and a size that is
 * a non-negative safe integer.
 *
 * @param digest The digest.
 * @returns The digest.
 * @throws {TypeError} If either field is invalid.
 *
 * @example A negative size is rejected
 * ```ts
 * import { checkDigest } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkDigest({ hash: "0".repeat(64), sizeBytes: -1 }), TypeError);
 * ```
 */
export function checkDigest(digest: Digest): Digest {
  checkHash(digest.hash);
  if (!Number.isSafeInteger(digest.sizeBytes) || digest.sizeBytes < 0) {
    throw new TypeError(
      `Cannot use size ${digest.sizeBytes} in the digest of ${digest.hash}: expected a non-negative integer`,
    );
  }
  return digest;
}

/**
 * Thrown when content given to a cache under a digest does not have that
 * digest: usually a file that changed after it was hashed. Nothing is stored.
 *
 * @example Catching a mismatch
 * ```ts
 * import { DigestMismatchError } from "./digest.ts";
 * import assert from "node:assert/strict";
 *
 * const expected = { hash: "0".repeat(64), sizeBytes: 1 };
 * const actual = { hash: "1".repeat(64), sizeBytes: 1 };
 * const error = new DigestMismatchError("out/a", expected, actual);
 * assert.equal(error.expected, expected);
 * assert.match(error.message, /out\/a/);
 * ```
 */
export class DigestMismatchError extends Error {
  /** The digest the content was given under. */
  readonly expected: Digest;
  /** The digest of the content itself. */
  readonly actual: Digest;

  /**
   * Creates the error.
   *
   * @param what Where the content came from (a path, "bytes").
   * @param expected The digest the content was given under.
   * @param actual The digest of the content.
   */
  constructor(what: string, expected: Digest, actual: Digest) {
    super(
      `Cannot store ${what} as blob ${digestKey(expected)}: its content has digest ${
        digestKey(actual)
      } (did it change after it was hashed?)`,
    );
    this.name = "DigestMismatchError";
    this.expected = expected;
    this.actual = actual;
  }
}
