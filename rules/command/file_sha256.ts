/**
 * SHA-256 digests of project files, for commands' keys. The build tracks
 * files by a fast digest ({@linkcode digestOf}); a key needs SHA-256, the
 * digest REAPI's content-addressed storage uses. Both are taken in one read,
 * so each SHA-256 is known to belong to exactly that fast digest, and kept
 * per path while the fast digest stays the same.
 *
 * @module
 */
import { digestOfFile } from "../../memo/mod.ts";
import { createDigester, type Digest } from "../reapi/mod.ts";
import { parseRemoteDigest } from "./remote_digest.ts";

/** Both digests of a file's content, from one read. */
export interface FileDigests {
  /** The build's fast digest ({@linkcode digestOf}). */
  readonly fast: string;
  /** SHA-256 and size. */
  readonly sha256: Digest;
}

const known = new Map<string, FileDigests>();

/**
 * The SHA-256 digest of a file whose fast digest is `fast`: from what is
 * known when that matches, else read now. A remote output known by its
 * REAPI digest alone (`remote_digest.ts`) is not read: its digest says it.
 * @param path The absolute path.
 * @param fast The fast digest the build knows it by.
 * @returns Both digests as read (the fast one differs from `fast` when the
 * file changed since).
 *
 * @example
 * ```ts
 * import { digestOf } from "../../memo/mod.ts";
 * import { sha256OfFile } from "./file_sha256.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "abc");
 * const { fast, sha256 } = await sha256OfFile(file, digestOf("abc"));
 * assert.equal(fast, digestOf("abc"));
 * assert.equal(sha256.hash.slice(0, 8), "ba7816bf");
 * ```
 */
export async function sha256OfFile(path: string, fast: string): Promise<FileDigests> {
  const cached = known.get(path);
  if (cached?.fast === fast) return cached;
  const remote = parseRemoteDigest(fast);
  if (remote !== undefined) return { fast, sha256: remote.digest };
  return await readDigests(path);
}

/**
 * Reads a file and takes both its digests, remembering them.
 * @param path The absolute path.
 * @returns Both digests.
 *
 * @example
 * ```ts
 * import { digestOf } from "../../memo/mod.ts";
 * import { readDigests } from "./file_sha256.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "abc");
 * assert.equal((await readDigests(file)).fast, digestOf("abc"));
 * ```
 */
export async function readDigests(path: string): Promise<FileDigests> {
  const digester = await createDigester();
  const fast = digestOfFile(path, (chunk) => digester.update(chunk));
  const digests = { fast, sha256: digester.digest() };
  known.set(path, digests);
  return digests;
}

/**
 * Remembers a file's digests taken elsewhere (a restored or stored output).
 * @param path The absolute path.
 * @param digests Its digests.
 *
 * @example
 * ```ts
 * import { rememberDigests, sha256OfFile } from "./file_sha256.ts";
 * import assert from "node:assert/strict";
 *
 * const sha256 = { hash: "0".repeat(64), sizeBytes: 0 };
 * rememberDigests("/nowhere/file", { fast: "f", sha256 });
 * assert.equal((await sha256OfFile("/nowhere/file", "f")).sha256, sha256);
 * ```
 */
export function rememberDigests(path: string, digests: FileDigests): void {
  known.set(path, digests);
}
