/**
 * The digest the build knows a remote output by: a file a command wrote on
 * the remote executor and that `--remote-download minimal` left there
 * (rules/run/remote_outputs.ts). The build tracks files by a fast digest
 * (`digestOf`); such a file has none, as its bytes were never here, so it
 * is tracked by its REAPI digest and executable bit instead: `r:` then the
 * SHA-256, `/`, the size, and `/x` when executable. No fast digest has a
 * `:`, so the two never meet.
 *
 * @module
 */
import type { Digest } from "../reapi/mod.ts";

const PREFIX = "r:";

/**
 * The digest of a remote output.
 * @param digest Its SHA-256 and size.
 * @param executable Its executable bit.
 * @returns The digest the build tracks it by.
 *
 * @example
 * ```ts
 * import { remoteDigest } from "./remote_digest.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = { hash: "ab".repeat(32), sizeBytes: 3 };
 * assert.equal(remoteDigest(digest, false), `r:${"ab".repeat(32)}/3`);
 * assert.equal(remoteDigest(digest, true), `r:${"ab".repeat(32)}/3/x`);
 * ```
 */
export function remoteDigest(digest: Digest, executable: boolean): string {
  return `${PREFIX}${digest.hash}/${digest.sizeBytes}${executable ? "/x" : ""}`;
}

/**
 * What a digest made by {@linkcode remoteDigest} says.
 * @param fast A digest the build tracks a file by.
 * @returns The REAPI digest and executable bit, or undefined for any other digest.
 *
 * @example
 * ```ts
 * import { parseRemoteDigest } from "./remote_digest.ts";
 * import assert from "node:assert/strict";
 *
 * const hash = "ab".repeat(32);
 * assert.deepEqual(parseRemoteDigest(`r:${hash}/3/x`), {
 *   digest: { hash, sizeBytes: 3 },
 *   executable: true,
 * });
 * assert.equal(parseRemoteDigest("kq2Lh3N0vC4a9r0Yc8S1xA"), undefined);
 * ```
 */
export function parseRemoteDigest(
  fast: string | null | undefined,
): { digest: Digest; executable: boolean } | undefined {
  if (fast === null || fast === undefined || !fast.startsWith(PREFIX)) return undefined;
  const [hash, size, x] = fast.slice(PREFIX.length).split("/");
  const sizeBytes = Number(size);
  if (!/^[0-9a-f]{64}$/.test(hash) || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    return undefined;
  }
  if (x !== undefined && x !== "x") return undefined;
  return { digest: { hash, sizeBytes }, executable: x === "x" };
}
