// Servers and blobs for the rules/remote tests.

import { type BuildStreamCas, startBuildStreamCas } from "../../_servers/buildstream_cas.ts";
import {
  startTestExecutor,
  type TestExecutor,
  type TestExecutorOptions,
} from "../../_servers/test_executor.ts";
import { sha256Digest } from "../../../rules/reapi/digest.ts";
import type { Digest } from "../../../rules/reapi/messages.ts";

/** Runs `f` with BuildStream's CAS server's URL; skips when not installed. */
export async function withBuildStream(
  f: (url: string, server: BuildStreamCas) => Promise<void>,
): Promise<void> {
  const server = await startBuildStreamCas();
  if (!server) return;
  try {
    await f(server.url, server);
  } finally {
    await server.stop();
  }
}

/** Runs `f` with a test executor; skips when python3-grpcio is missing. */
export async function withExecutor(
  options: TestExecutorOptions,
  f: (executor: TestExecutor) => Promise<void>,
): Promise<void> {
  const server = await startTestExecutor(options);
  if (!server) return;
  try {
    await f(server);
  } finally {
    await server.stop();
  }
}

/** Runs `f` in a fresh temp dir, removed afterwards. */
export async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "barchan_remote_test_" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A blob of text or bytes with its digest. */
export async function blob(
  content: string | Uint8Array,
): Promise<{ digest: Digest; data: Uint8Array }> {
  const data = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return { digest: await sha256Digest(data), data };
}

/** `size` pseudo-random bytes from `seed` (blobs that do not compress). */
export function randomBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Writes `size` pseudo-random bytes to `path` in 1 MiB pieces. */
export async function writeRandomFile(path: string, size: number, seed: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let at = 0; at < size; at += 1 << 20) {
      const piece = randomBytes(Math.min(1 << 20, size - at), seed + at);
      for (let done = 0; done < piece.length;) done += await file.write(piece.subarray(done));
    }
  } finally {
    file.close();
  }
}
