// Output directories as REAPI Trees: canonical (sorted, each child once,
// parents first), read back checked.

import assert from "node:assert/strict";
import { buildTree, treeEntries, type TreeEntry } from "../../../rules/reapi/output_tree.ts";
import { decodeTree, encodeDirectory } from "../../../rules/reapi/directory.ts";
import { sha256Digest } from "../../../rules/reapi/digest.ts";

const A = { hash: "a".repeat(64), sizeBytes: 1 };
const B = { hash: "b".repeat(64), sizeBytes: 2 };

Deno.test("buildTree() is the same whatever the order of its entries, and sorts each list by name", async () => {
  const entries: TreeEntry[] = [
    { path: "z.txt", kind: "file", digest: A, isExecutable: false },
    { path: "bin/run", kind: "file", digest: B, isExecutable: true },
    { path: "a.txt", kind: "file", digest: A, isExecutable: false },
    { path: "empty", kind: "directory" },
    { path: "link", kind: "symlink", target: "bin/run" },
  ];
  const one = await buildTree(entries);
  const two = await buildTree([...entries].reverse());
  assert.deepEqual(one.digest, two.digest);
  assert.deepEqual(one.tree.root.files.map((f) => f.name), ["a.txt", "z.txt"]);
  assert.deepEqual(one.tree.root.directories.map((d) => d.name), ["bin", "empty"]);
  assert.deepEqual(one.tree.root.symlinks, [{ name: "link", target: "bin/run" }]);
  assert.deepEqual(decodeTree(one.bytes), one.tree);
  assert.deepEqual(await sha256Digest(one.bytes), one.digest);
});

Deno.test("buildTree() lists equal subdirectories once, parents before their children", async () => {
  const built = await buildTree([
    { path: "x/same/f", kind: "file", digest: A, isExecutable: false },
    { path: "y/same/f", kind: "file", digest: A, isExecutable: false },
    { path: "y/other", kind: "file", digest: B, isExecutable: false },
  ]);
  const digests = await Promise.all(
    built.tree.children.map(async (d) => (await sha256Digest(encodeDirectory(d))).hash),
  );
  assert.equal(new Set(digests).size, digests.length, "a child is listed twice");
  // x, same (once), y
  assert.equal(built.tree.children.length, 3);
  const entries = await treeEntries(built.tree);
  assert.deepEqual(entries.map((e) => e.path), [
    "x",
    "x/same",
    "x/same/f",
    "y",
    "y/other",
    "y/same",
    "y/same/f",
  ]);
  for (const entry of entries) {
    const parent = entry.path.split("/").slice(0, -1).join("/");
    if (parent === "") continue;
    const at = entries.findIndex((e) => e.path === parent);
    assert.ok(at >= 0 && at < entries.indexOf(entry), `${entry.path} comes before ${parent}`);
  }
});

Deno.test("treeEntries() refuses a tree with a name that is a path, or a repeated name", async () => {
  const empty = { files: [], directories: [], symlinks: [] };
  await assert.rejects(
    treeEntries({
      root: { ...empty, files: [{ name: "../evil", digest: A, isExecutable: false }] },
      children: [],
    }),
    /is not a file name/,
  );
  await assert.rejects(
    treeEntries({
      root: {
        ...empty,
        files: [{ name: "a", digest: A, isExecutable: false }],
        symlinks: [{ name: "a", target: "b" }],
      },
      children: [],
    }),
    /appears twice/,
  );
});

Deno.test("buildTree() refuses a path listed twice or below a file", async () => {
  await assert.rejects(
    buildTree([
      { path: "a", kind: "file", digest: A, isExecutable: false },
      { path: "a", kind: "symlink", target: "b" },
    ]),
    /listed twice/,
  );
  await assert.rejects(
    buildTree([
      { path: "a", kind: "file", digest: A, isExecutable: false },
      { path: "a/b", kind: "file", digest: B, isExecutable: false },
    ]),
    /below a file or link/,
  );
  await assert.rejects(
    buildTree([
      { path: "a/b", kind: "file", digest: B, isExecutable: false },
      { path: "a", kind: "file", digest: A, isExecutable: false },
    ]),
    /is a directory with entries below it/,
  );
});
