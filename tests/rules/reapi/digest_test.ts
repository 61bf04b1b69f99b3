import assert from "node:assert/strict";
import {
  createDigester,
  DEFAULT_CHUNK_SIZE,
  digestKey,
  EMPTY_DIGEST,
  fileDigest,
  isValidDigest,
  sha256Digest,
  sha256DigestSync,
} from "../../../rules/reapi/digest.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** SHA-256 test vectors of FIPS 180-2 (and NIST's examples). */
const VECTORS: [string, Uint8Array, string][] = [
  ["empty", new Uint8Array(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["abc", text("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "448 bits",
    text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [
    "one million a",
    new Uint8Array(1_000_000).fill(0x61),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  ],
];

async function sha256sum(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: [path], stdout: "piped" }).output();
  assert.ok(out.success, "sha256sum failed");
  return new TextDecoder().decode(out.stdout).split(" ")[0];
}

Deno.test("sha256Digest() matches the FIPS 180-2 vectors", async () => {
  for (const [name, bytes, hash] of VECTORS) {
    assert.deepEqual(await sha256Digest(bytes), { hash, sizeBytes: bytes.length }, name);
    assert.deepEqual(sha256DigestSync(bytes), { hash, sizeBytes: bytes.length }, name);
  }
  assert.deepEqual(await sha256Digest(new Uint8Array()), EMPTY_DIGEST);
});

Deno.test("createDigester() hashes chunks like their concatenation", async () => {
  const [, million, hash] = VECTORS[3];
  const digester = await createDigester();
  for (let at = 0; at < million.length; at += 65_537) {
    digester.update(million.subarray(at, at + 65_537));
  }
  assert.deepEqual(digester.digest(), { hash, sizeBytes: 1_000_000 });
});

Deno.test("fileDigest() of a file larger than a chunk agrees with sha256sum", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big.bin`;
    // 2.5 chunks plus a few bytes, of a pattern that differs in every chunk.
    const size = DEFAULT_CHUNK_SIZE * 2.5 + 3;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 20)) & 0xff;
    await Deno.writeFile(path, bytes);
    const expected = { hash: await sha256sum(path), sizeBytes: size };
    assert.deepEqual(await fileDigest(path), expected);
    assert.deepEqual(await fileDigest(path, { chunkSize: 4099 }), expected);
    assert.deepEqual(await fileDigest(new URL(`file://${path}`)), expected);
    assert.deepEqual(await sha256Digest(bytes), expected);

    const empty = `${dir}/empty`;
    await Deno.writeFile(empty, new Uint8Array());
    assert.deepEqual(await fileDigest(empty), EMPTY_DIGEST);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileDigest() rejects a missing file and a bad chunk size", async () => {
  await assert.rejects(fileDigest("/nonexistent/barchan-reapi"), Deno.errors.NotFound);
  await assert.rejects(fileDigest("/dev/null", { chunkSize: 0 }), /chunk size 0/);
});

Deno.test("digestKey() and isValidDigest()", () => {
  const digest = { hash: "ab".repeat(32), sizeBytes: 42 };
  assert.equal(digestKey(digest), `${"ab".repeat(32)}/42`);
  assert.equal(isValidDigest(digest), true);
  assert.equal(isValidDigest({ ...digest, hash: digest.hash.slice(1) }), false);
  assert.equal(isValidDigest({ ...digest, hash: `${digest.hash.slice(1)}g` }), false);
  assert.equal(isValidDigest({ ...digest, sizeBytes: -1 }), false);
  assert.equal(isValidDigest({ ...digest, sizeBytes: 0.5 }), false);
  assert.equal(isValidDigest({ ...digest, sizeBytes: 2 ** 53 }), false);
});
