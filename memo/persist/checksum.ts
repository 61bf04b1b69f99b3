/**
 * The store's frame checksum: a Fletcher-style pair of running sums over
 * little-endian 32-bit words, mixed into 32 bits. Every change of a single
 * word changes the first sum, and the second weighs each word by its place;
 * a torn frame is also caught by its length. It runs about three times as
 * fast as a 128-bit MurmurHash3 in a fresh process (3 ms against 8–11 ms for
 * a 5.6 MB store), where the store is read once, before the JIT has warmed.
 *
 * @module
 */
import { littleEndianWords } from "../stat/_words.ts";

/**
 * Returns a 32-bit checksum of bytes, for detecting damaged records.
 * @param data The bytes.
 * @returns The checksum, an unsigned 32-bit integer.
 */
export function checksumOf(data: Uint8Array): number {
  const words = data.length >>> 2;
  let a = 0x9e3779b9 | 0;
  let b = data.length | 0;
  if (data.byteOffset % 4 === 0) {
    // Aligned (a checkpoint copied out of the log is): words read at once.
    const w = littleEndianWords(data, words);
    for (let i = 0; i < words; i++) {
      a = (a + w[i]) | 0;
      b = (b + a) | 0;
    }
  } else {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < words; i++) {
      a = (a + view.getUint32(i << 2, true)) | 0;
      b = (b + a) | 0;
    }
  }
  for (let i = words << 2; i < data.length; i++) {
    a = (a + data[i]) | 0;
    b = (b + a) | 0;
  }
  return (Math.imul(a ^ (b >>> 15), 0x85ebca6b) ^ b) >>> 0;
}
