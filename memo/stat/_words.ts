// The little-endian 32-bit words of a byte array, for digest.ts's hash loop.
//
// Reading words from an Int32Array is several times faster than DataView
// calls, most of all before the JIT has warmed up, which is when a build
// hashes: 520 KB took 1.6-2.9 ms the first time and 0.5-0.7 ms after,
// against 4-6 ms both times through DataView. An Int32Array needs its
// offset aligned to 4 bytes and reads the platform's byte order, so a
// misaligned view is copied first, and a big-endian platform decodes each
// word.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The first `count` little-endian 32-bit words of `data`, as signed integers.
 * @param data The bytes, at least `4 * count` of them.
 * @param count How many words.
 * @returns The words, a view of `data` when it can be one.
 */
export function littleEndianWords(data: Uint8Array, count: number): Int32Array {
  if (!LITTLE_ENDIAN) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const words = new Int32Array(count);
    for (let i = 0; i < count; i++) words[i] = view.getInt32(i << 2, true);
    return words;
  }
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice(0, count << 2);
  return new Int32Array(aligned.buffer, aligned.byteOffset, count);
}
