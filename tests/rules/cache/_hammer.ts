// One of two processes hammering a local cache's same keys: every read must
// see a whole entry (one of those written) or a miss, never torn bytes. The
// cap is small, so entries are evicted while the other process writes.
// Usage: deno run -A _hammer.ts DIR ID ROUNDS; exits 1 with a message on the
// first wrong read.

import { LocalCache } from "../../../rules/cache/local_cache.ts";
import { sha256Digest } from "../../../rules/reapi/digest.ts";

const [dir, id, rounds] = Deno.args;
const warnings: string[] = [];
const cache = await LocalCache.open(dir, {
  maxBytes: 2 * 1024 ** 2,
  onWarning: (message) => warnings.push(message),
});
const KEYS = 16;

/** An action result of `length` bytes: its length, then one repeated byte. */
function value(length: number, fill: number): Uint8Array {
  const bytes = new Uint8Array(length).fill(fill);
  new DataView(bytes.buffer).setUint32(0, length);
  return bytes;
}

function wholeValue(bytes: Uint8Array): boolean {
  if (
    bytes.length < 4 || new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) !== bytes.length
  ) return false;
  return bytes.subarray(4).every((b) => b === bytes[4]);
}

/** Blob `i`: deterministic content of up to 200 KiB. */
function blobContent(i: number): Uint8Array {
  const bytes = new Uint8Array(1 + ((i * 37_123) % 200_000));
  for (let j = 0; j < bytes.length; j++) bytes[j] = (i * 31 + j) & 0xff;
  return bytes;
}

const keys = await Promise.all(
  Array.from(
    { length: KEYS },
    (_, i) => sha256Digest(new TextEncoder().encode(`key ${i}`)),
  ),
);
const blobs = await Promise.all(Array.from({ length: KEYS }, async (_, i) => {
  const bytes = blobContent(i);
  return { bytes, digest: await sha256Digest(bytes) };
}));
const source = `${dir}/../source-${id}`;
const restored = `${dir}/../restored-${id}`;

function fail(message: string): never {
  console.error(`process ${id}: ${message}`);
  Deno.exit(1);
}

for (let round = 0; round < Number(rounds); round++) {
  const i = round % KEYS;
  const length = 4 + Math.floor(Math.random() * 65_536);
  await cache.putActionResult(keys[i], value(length, Math.floor(Math.random() * 256)));
  const got = await cache.getActionResult(keys[(i + 7) % KEYS]);
  if (got !== undefined && !wholeValue(got)) fail(`torn action result, ${got.length} bytes`);

  const { bytes, digest } = blobs[(round * 5) % KEYS];
  if (round % 2 === 0) await cache.putBlob(digest, bytes);
  else {
    await Deno.writeFile(source, bytes);
    await cache.putBlobFromFile(digest, source);
  }
  const other = blobs[(round * 3) % KEYS];
  if (await cache.getBlobToFile(other.digest, restored)) {
    const content = await Deno.readFile(restored);
    if (content.length !== other.bytes.length || !content.every((b, j) => b === other.bytes[j])) {
      fail(`wrong blob content restored for ${other.digest.hash}`);
    }
  }
}
await cache.flush();
if (warnings.length > 0) fail(`warnings: ${warnings.join("; ")}`);
console.log(JSON.stringify(await cache.stats()));
