/**
 * Content digests: one hash function for files, listings and values, so that
 * the store and the stat cache agree on what "unchanged" means.
 *
 * The hash is MurmurHash3 (x86, 128-bit), written here in plain TypeScript:
 * it identifies content for change detection, not for security, and it
 * keeps `node:crypto` out of start-up (importing it costs about 19 ms, a
 * third of a no-op build of a small project).
 *
 * @module
 */

import { littleEndianWords } from "./_words.ts";

const encoder = new TextEncoder();
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Returns a short digest (128 bits as 22 base64url characters) of text or
 * bytes. Text is digested as its UTF-8 encoding.
 *
 * @param data The content to digest.
 * @returns The digest.
 *
 * @example Equal content, equal digest
 * ```ts
 * import { digestOf } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * assert.equal(digestOf("abc"), digestOf(new TextEncoder().encode("abc")));
 * assert.notEqual(digestOf("abc"), digestOf("abd"));
 * assert.equal(digestOf("abc").length, 22);
 * ```
 */
export function digestOf(data: string | Uint8Array): string {
  const [h1, h2, h3, h4] = murmur3x128(typeof data === "string" ? utf8(data) : data);
  return base64url(h1, h2, h3, h4);
}

let scratch = new Uint8Array(1024);

/** The UTF-8 bytes of a string, in a buffer reused from call to call. */
function utf8(text: string): Uint8Array {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function murmur3x128(data: Uint8Array): [number, number, number, number] {
  const state = new Int32Array(4);
  const blocks = data.length >>> 4;
  mixBlocks(state, data, blocks);
  return finish(state, data.subarray(blocks << 4), data.length);
}

/** Mixes the first `blocks` 16-byte blocks of `data` into `state` (h1 to h4). */
function mixBlocks(state: Int32Array, data: Uint8Array, blocks: number): void {
  const words = littleEndianWords(data, blocks << 2);
  let h1 = state[0], h2 = state[1], h3 = state[2], h4 = state[3];
  // The rotations are written out: this loop runs before the JIT has warmed.
  for (let o = 0; o < words.length; o += 4) {
    let k1 = Math.imul(words[o], C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (Math.imul((h1 + h2) | 0, 5) + 0x561ccd1b) | 0;
    let k2 = Math.imul(words[o + 1], C2);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C3);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul((h2 + h3) | 0, 5) + 0x0bcaa747) | 0;
    let k3 = Math.imul(words[o + 2], C3);
    k3 = Math.imul((k3 << 17) | (k3 >>> 15), C4);
    h3 ^= k3;
    h3 = (h3 << 15) | (h3 >>> 17);
    h3 = (Math.imul((h3 + h4) | 0, 5) + 0x96cd1c35) | 0;
    let k4 = Math.imul(words[o + 3], C4);
    k4 = Math.imul((k4 << 18) | (k4 >>> 14), C1);
    h4 ^= k4;
    h4 = (h4 << 13) | (h4 >>> 19);
    h4 = (Math.imul((h4 + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  state[0] = h1;
  state[1] = h2;
  state[2] = h3;
  state[3] = h4;
}

/** Mixes in the last bytes (under 16) and the total length: the digest's four words. */
function finish(
  state: Int32Array,
  rest: Uint8Array,
  length: number,
): [number, number, number, number] {
  let h1 = state[0], h2 = state[1], h3 = state[2], h4 = state[3];
  let k1 = 0, k2 = 0, k3 = 0, k4 = 0;
  for (let j = rest.length - 1; j >= 0; j--) {
    const byte = rest[j];
    if (j >= 12) k4 = (k4 << 8) | byte;
    else if (j >= 8) k3 = (k3 << 8) | byte;
    else if (j >= 4) k2 = (k2 << 8) | byte;
    else k1 = (k1 << 8) | byte;
  }
  if (rest.length > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (rest.length > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (rest.length > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (rest.length > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  // The length mixed in is its low 32 bits, as the reference code's is.
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1, h2, h3, h4];
}

/** Files read in chunks of this size; smaller ones at once. */
const CHUNK = 1 << 20;
let chunk: Uint8Array | undefined;

/**
 * The digest of a file's content, equal to {@linkcode digestOf} of its
 * bytes, reading it in chunks of 1 MiB: a large file is never held in
 * memory whole.
 * @param path The file.
 * @param onChunk Given each chunk as it is read (valid during the call
 * only), so that another hash can be taken in the same pass.
 * @returns The digest.
 * @throws Deno's error when the file cannot be read.
 *
 * @example
 * ```ts
 * import { digestOf, digestOfFile } from "@barchan/barchan/memo";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "abc");
 * assert.equal(digestOfFile(file), digestOf("abc"));
 * ```
 */
export function digestOfFile(path: string, onChunk?: (bytes: Uint8Array) => void): string {
  const file = Deno.openSync(path, { read: true });
  try {
    const buffer = chunk ??= new Uint8Array(CHUNK);
    const state = new Int32Array(4);
    let filled = 0;
    let length = 0;
    for (;;) {
      const n = file.readSync(buffer.subarray(filled));
      if (n === null) break;
      onChunk?.(buffer.subarray(filled, filled + n));
      filled += n;
      length += n;
      if (filled === buffer.length) {
        mixBlocks(state, buffer, filled >>> 4);
        filled = 0;
      }
    }
    const blocks = filled >>> 4;
    mixBlocks(state, buffer, blocks);
    const [h1, h2, h3, h4] = finish(state, buffer.subarray(blocks << 4, filled), length);
    return base64url(h1, h2, h3, h4);
  } finally {
    file.close();
  }
}

const word = new Uint32Array(5);
const bytes = new Uint8Array(word.buffer);

function base64url(h1: number, h2: number, h3: number, h4: number): string {
  word[0] = h1;
  word[1] = h2;
  word[2] = h3;
  word[3] = h4;
  word[4] = 0;
  let out = "";
  for (let i = 0; i < 15; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[(n >>> 18) & 63] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] +
      ALPHABET[n & 63];
  }
  const last = bytes[15] << 16;
  return out + ALPHABET[(last >>> 18) & 63] + ALPHABET[(last >>> 12) & 63];
}
