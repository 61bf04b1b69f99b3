import assert from "node:assert/strict";
import {
  buildInputRoot,
  decodeDirectory,
  type Digest,
  EMPTY_DIGEST,
  type InputFile,
  sha256Digest,
} from "../../../rules/reapi/mod.ts";
import { prng } from "../../_prng.ts";
import { python, pythonMissing, toHex } from "./_python.ts";

const ignore = pythonMissing !== undefined;

/** Names whose order differs between UTF-16 code units and code points, and other near ties. */
const NAMES = [
  "a",
  "A",
  "a.b",
  "a-b",
  "a_b",
  "b",
  "ab",
  "\uff61",
  "😀",
  "é",
  "e\u0301",
  "z1",
  "z10",
];

/** A deterministic tree of files: nested directories, executables, tricky names. */
async function randomFiles(seed: number, count: number): Promise<InputFile[]> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const files = new Map<string, InputFile>();
  while (files.size < count) {
    const depth = Math.floor(random() * 4);
    const dirs = Array.from({ length: depth }, () => `d${pick(NAMES)}`);
    const path = [...dirs, `f${pick(NAMES)}${Math.floor(random() * 5)}`].join("/");
    const content = new TextEncoder().encode(`${path} ${random()}`);
    files.set(path, {
      path,
      digest: await sha256Digest(content),
      isExecutable: random() < 0.2,
    });
  }
  return [...files.values()];
}

function toPython(files: readonly InputFile[], directories: readonly string[] = []) {
  return {
    files: files.map((f) => ({
      path: f.path,
      hash: f.digest.hash,
      size: f.digest.sizeBytes,
      executable: f.isExecutable ?? false,
    })),
    directories,
  };
}

interface PythonRoot {
  root: Digest;
  directories: Record<string, string>;
}

async function assertSameAsPython(
  files: readonly InputFile[],
  directories: readonly string[] = [],
): Promise<void> {
  const ours = await buildInputRoot(files, { directories });
  const theirs = await python<PythonRoot>("input_root", toPython(files, directories));
  assert.deepEqual(ours.root, theirs.root);
  assert.deepEqual(
    Object.fromEntries([...ours.directories].map(([hash, bytes]) => [hash, toHex(bytes)])),
    theirs.directories,
  );
}

Deno.test({
  name: "buildInputRoot() gives the tree Python builds independently, 1,500 files deep and wide",
  ignore,
  async fn() {
    await assertSameAsPython(await randomFiles(1, 1_500));
  },
});

Deno.test({
  name: "buildInputRoot() sorts names by code point, as Python does, not by UTF-16 unit",
  ignore,
  async fn() {
    const digest = await sha256Digest(new Uint8Array([1]));
    const files = ["😀", "\uff61", "z", "Z", "é"].map((name) => ({ path: name, digest }));
    await assertSameAsPython(files);
    const root = await buildInputRoot(files);
    const top = decodeDirectory(root.directories.get(root.root.hash)!);
    assert.deepEqual(top.files.map((f) => f.name), ["Z", "z", "é", "\uff61", "😀"]);
  },
});

Deno.test({
  name: "buildInputRoot() includes empty directories, as Python's tree does",
  ignore,
  async fn() {
    const digest = await sha256Digest(new Uint8Array([2]));
    await assertSameAsPython([{ path: "src/a.c", digest }], ["out/obj", "src", "work"]);
  },
});

Deno.test("buildInputRoot() is independent of the order of its input", async () => {
  const files = await randomFiles(2, 300);
  const root = await buildInputRoot(files);
  const random = prng(3);
  const shuffled = [...files].sort(() => random() - 0.5);
  assert.deepEqual(await buildInputRoot(shuffled), root);
  assert.deepEqual(await buildInputRoot([...shuffled, ...files.slice(0, 10)]), root);
});

Deno.test("buildInputRoot() changes the root when a digest or an executable bit changes", async () => {
  const files = await randomFiles(4, 50);
  const { root } = await buildInputRoot(files);
  const changed = files.map((f, i) => i === 17 ? { ...f, isExecutable: !f.isExecutable } : f);
  assert.notDeepEqual((await buildInputRoot(changed)).root, root);
  const resized = files.map((f, i) =>
    i === 17 ? { ...f, digest: { ...f.digest, sizeBytes: f.digest.sizeBytes + 1 } } : f
  );
  assert.notDeepEqual((await buildInputRoot(resized)).root, root);
});

Deno.test("buildInputRoot() of nothing is the empty directory", async () => {
  const empty = await buildInputRoot([]);
  assert.deepEqual(empty.root, EMPTY_DIGEST);
  assert.deepEqual([...empty.directories], [[EMPTY_DIGEST.hash, new Uint8Array()]]);
});

Deno.test("buildInputRoot() stores each directory once, keyed by the digest of its bytes", async () => {
  const digest = await sha256Digest(new Uint8Array([3]));
  // Two identical subdirectories share one blob.
  const root = await buildInputRoot([
    { path: "x/same.txt", digest },
    { path: "y/same.txt", digest },
  ]);
  assert.equal(root.directories.size, 2);
  for (const [hash, bytes] of root.directories) {
    assert.deepEqual(await sha256Digest(bytes), { hash, sizeBytes: bytes.length });
  }
  const top = decodeDirectory(root.directories.get(root.root.hash)!);
  assert.equal(top.directories[0].digest.hash, top.directories[1].digest.hash);
});

Deno.test("buildInputRoot() refuses paths that are not normal relative paths", async () => {
  const digest = EMPTY_DIGEST;
  for (const path of ["", "/abs", "a/", "a//b", "./a", "a/../b", "..", "a/.", "nul\0"]) {
    await assert.rejects(
      buildInputRoot([{ path, digest }]),
      /must be relative/,
      JSON.stringify(path),
    );
  }
  await assert.rejects(
    buildInputRoot([], { directories: ["a/../b"] }),
    /input root directory "a\/\.\.\/b"/,
  );
});

Deno.test("buildInputRoot() refuses a path that is both a file and a directory, or two contents", async () => {
  const a = await sha256Digest(new Uint8Array([1]));
  const b = await sha256Digest(new Uint8Array([2]));
  await assert.rejects(
    buildInputRoot([{ path: "x", digest: a }, { path: "x/y", digest: a }]),
    /"x\/y" is below "x", which is a file/,
  );
  await assert.rejects(
    buildInputRoot([{ path: "x/y/z", digest: a }, { path: "x/y", digest: a }]),
    /"x\/y" is a file and a directory/,
  );
  await assert.rejects(
    buildInputRoot([{ path: "x", digest: a }], { directories: ["x"] }),
    /"x" is a file and a directory/,
  );
  await assert.rejects(
    buildInputRoot([{ path: "x", digest: a }, { path: "x", digest: b }]),
    /"x" is listed twice with different contents or modes/,
  );
  await assert.rejects(
    buildInputRoot([{ path: "x", digest: a }, { path: "x", digest: a, isExecutable: true }]),
    /listed twice/,
  );
});
