/**
 * The error a cache throws when content does not have the digest it is
 * stored under.
 *
 * @module
 */

import { type Digest, digestKey } from "../reapi/digest.ts";

/**
 * Thrown when content given to a cache under a digest does not have that
 * digest: usually a file that changed after it was hashed. Nothing is stored.
 *
 * @example Catching a mismatch
 * ```ts
 * import { DigestMismatchError } from "./errors.ts";
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
