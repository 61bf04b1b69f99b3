import assert from "node:assert/strict";
import { digestOf } from "../../../memo/stat/digest.ts";

/** The digest's 128 bits as four little-endian 32-bit words in hex, as MurmurHash3 references print them. */
function words(digest: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bits = [...digest].map((c) => alphabet.indexOf(c).toString(2).padStart(6, "0")).join("");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  let out = "";
  for (let w = 0; w < 4; w++) {
    const word = (bytes[w * 4 + 3] << 24 | bytes[w * 4 + 2] << 16 | bytes[w * 4 + 1] << 8 |
      bytes[w * 4]) >>> 0;
    out += word.toString(16).padStart(8, "0");
  }
  return out;
}

Deno.test("digestOf() is MurmurHash3 x86 128-bit with seed 0 (reference vectors)", () => {
  assert.equal(words(digestOf("")), "00000000000000000000000000000000");
  assert.equal(words(digestOf("hello")), "2b2444a0db91def79adb31b69adb31b6");
  assert.equal(
    words(digestOf("The quick brown fox jumps over the lazy dog")),
    "2f1583c3ecee2c675d7bf66ce5e91d2c",
  );
  assert.equal(words(digestOf("0123456789abcdef0123")), "c8127e9837594e79240bb67175133d48");
});

Deno.test("digestOf() tells apart contents that differ in one byte at any position", () => {
  const base = new Uint8Array(37).map((_, i) => i);
  const seen = new Set([digestOf(base)]);
  for (let i = 0; i < base.length; i++) {
    const changed = base.slice();
    changed[i] ^= 1;
    seen.add(digestOf(changed));
  }
  assert.equal(seen.size, base.length + 1);
});

Deno.test("digestOf() gives a view at any offset the digest of its own bytes", () => {
  const bytes = new Uint8Array(1000).map((_, i) => (i * 37 + 11) & 255);
  for (const offset of [0, 1, 2, 3, 4, 5]) {
    for (const length of [0, 15, 16, 17, 64, 333]) {
      const view = bytes.subarray(offset, offset + length);
      assert.equal(digestOf(view), digestOf(view.slice()), `offset ${offset}, length ${length}`);
    }
  }
});
