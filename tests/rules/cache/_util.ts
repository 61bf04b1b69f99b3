// Helpers shared by the cache tests: temporary directories and digests.

import { sha256Digest } from "../../../rules/reapi/digest.ts";
import type { Digest } from "../../../rules/reapi/digest.ts";

/** Runs `fn` in a new temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_cache_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const encoder = new TextEncoder();

/** Bytes of a text and their digest. */
export async function blob(text: string): Promise<{ bytes: Uint8Array; digest: Digest }> {
  const bytes = encoder.encode(text);
  return { bytes, digest: await sha256Digest(bytes) };
}

/** An action key made from a name: the digest of the name's bytes. */
export async function key(name: string): Promise<Digest> {
  return await sha256Digest(encoder.encode(name));
}

/** Collects warnings given through a cache's `onWarning`. */
export function warnings(): { list: string[]; onWarning: (message: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (message) => list.push(message) };
}
