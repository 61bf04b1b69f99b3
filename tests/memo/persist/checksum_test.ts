import assert from "node:assert/strict";
import { checksumOf } from "../../../memo/persist/checksum.ts";
import { prng } from "../../_prng.ts";

function randomBytes(n: number, seed: number): Uint8Array {
  const next = prng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

Deno.test("checksumOf changes when any single byte changes, tail bytes included", () => {
  const data = randomBytes(203, 1);
  const base = checksumOf(data);
  for (let i = 0; i < data.length; i++) {
    for (const delta of [1, 0x80, 0xff]) {
      const copy = data.slice();
      copy[i] = (copy[i] + delta) & 0xff;
      assert.notEqual(checksumOf(copy), base, `byte ${i} + ${delta}`);
    }
  }
});

Deno.test("checksumOf sees words swapped, zero bytes appended and a subarray's own bytes", () => {
  const data = randomBytes(64, 2);
  const swapped = data.slice();
  swapped.set(data.subarray(0, 4), 8);
  swapped.set(data.subarray(8, 12), 0);
  assert.notEqual(checksumOf(swapped), checksumOf(data));
  const longer = new Uint8Array(68);
  longer.set(data);
  assert.notEqual(checksumOf(longer), checksumOf(data));
  // An unaligned view is read from its own offset.
  const outer = new Uint8Array(65);
  outer.set(data, 1);
  assert.equal(checksumOf(outer.subarray(1)), checksumOf(data));
});
