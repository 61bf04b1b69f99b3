// A directory target read as a REAPI Tree and written back: the digest it
// gives is the one a rule records for the tree, and a tree written from its
// entries reads back the same.

import assert from "node:assert/strict";
import { Engine, memo } from "../../../memo/mod.ts";
import { decodeTree, treeEntries } from "../../../rules/reapi/mod.ts";
import { type DirOutput, readDirOutput, writeDirOutput } from "../../../rules/run/dir_output.ts";
import { recordTree } from "../../../rules/run/dir_targets.ts";

/** A tree whose names sort differently with and without a directory's trailing `/`. */
async function fill(root: string): Promise<void> {
  await Deno.mkdir(`${root}/d/a/empty`, { recursive: true });
  await Deno.writeTextFile(`${root}/d/a/x`, "x\n");
  await Deno.writeTextFile(`${root}/d/a.txt`, "a\n");
  await Deno.writeTextFile(`${root}/d/a-b`, "");
  await Deno.writeTextFile(`${root}/d/run.sh`, "#!/bin/sh\n", { mode: 0o755 });
  await Deno.chmod(`${root}/d/run.sh`, 0o755);
  await Deno.symlink("a/x", `${root}/d/link`);
}

const recorded = memo("dirOutputTestRecordTree", (root: string) => recordTree(root, "d"));

Deno.test("readDirOutput() gives the digest recordTree() records, and the tree's files with their modes", async () => {
  const root = await Deno.makeTempDir();
  try {
    await fill(root);
    const output = await readDirOutput(root, "d") as DirOutput;
    assert.equal(output.fast, await new Engine({ root }).run(() => recorded(root)));
    assert.deepEqual(output.files.map((f) => [f.path.slice(root.length), f.executable]), [
      ["/d/a-b", false],
      ["/d/a.txt", false],
      ["/d/a/x", false],
      ["/d/run.sh", true],
    ]);
    const entries = await treeEntries(decodeTree(output.tree.bytes));
    assert.deepEqual(entries.find((e) => e.path === "link"), {
      path: "link",
      kind: "symlink",
      target: "a/x",
    });
    assert.ok(entries.some((e) => e.path === "a/empty" && e.kind === "directory"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a tree written by writeDirOutput() from its entries reads back with the same digests", async () => {
  const root = await Deno.makeTempDir();
  try {
    await fill(root);
    const before = await readDirOutput(root, "d") as DirOutput;
    const contents = new Map<string, Uint8Array>();
    for (const file of before.files) contents.set(file.digest.hash, await Deno.readFile(file.path));
    await Deno.mkdir(`${root}/e/stale`, { recursive: true });
    const ok = await writeDirOutput(
      `${root}/e`,
      await treeEntries(before.tree.tree),
      async (digest, path, { executable }) => {
        await Deno.writeFile(path, contents.get(digest.hash)!, {
          mode: executable ? 0o755 : 0o644,
        });
        return true;
      },
    );
    assert.ok(ok);
    const after = await readDirOutput(root, "e") as DirOutput;
    assert.equal(after.fast, before.fast);
    assert.deepEqual(after.tree.digest, before.tree.digest);
    // A file the cache cannot give leaves the directory empty, as before an action.
    assert.equal(
      await writeDirOutput(
        `${root}/e`,
        await treeEntries(before.tree.tree),
        () => Promise.resolve(false),
      ),
      false,
    );
    assert.deepEqual([...Deno.readDirSync(`${root}/e`)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readDirOutput() says why a tree holding a FIFO cannot be stored", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/d`);
    await new Deno.Command("mkfifo", { args: [`${root}/d/pipe`] }).output();
    assert.match(await readDirOutput(root, "d") as string, /"d\/pipe" is neither a file/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
