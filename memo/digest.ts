/**
 * Content digests: one hash function for files, listings and values, so that
 * the store and the stat cache agree on what "unchanged" means.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * Returns a short digest (MD5, base64) of text or bytes. It identifies
 * content for change detection, not for security.
 *
 * @param data The content to digest.
 * @returns The digest as a 22-character string.
 *
 * @example Equal content, equal digest
 * ```ts
 * import { digestOf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(digestOf("abc"), digestOf(new TextEncoder().encode("abc")));
 * assert.notEqual(digestOf("abc"), digestOf("abd"));
 * ```
 */
export function digestOf(data: string | Uint8Array): string {
  return createHash("md5").update(data).digest("base64").slice(0, 22);
}
